// GraphQL documents of sign-up, invitations, first steps and settings.

export const SIGN_UP = `
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { token userErrors { code message field } }
}`;

export const INVITATION_PREVIEW = `
query InvitationPreview($token: String!) {
  invitationPreview(token: $token) { email name workspaceName role status }
}`;

export const ACCEPT_INVITATION = `
mutation AcceptInvitation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { token userErrors { code message field } }
}`;

export const CREATE_INVITATION = `
mutation CreateInvitation($input: CreateInvitationInput!) {
  createInvitation(input: $input) { path invitation { id email status } userErrors { code message field } }
}`;

export const INVITATIONS = `
query Invitations { invitations { id email name role status expiresAt team { name } invitedBy { name } } }`;

export const REVOKE_INVITATION = `
mutation RevokeInvitation($id: ID!) {
  revokeInvitation(id: $id) { invitation { id status } userErrors { code message field } }
}`;

export const PIPELINE_TEMPLATES = `
query PipelineTemplates {
  pipelineTemplates { key name description stages { name } }
  pipelines { id name }
}`;

export const CREATE_PIPELINE_FROM_TEMPLATE = `
mutation CreatePipelineFromTemplate($key: String!) {
  createPipelineFromTemplate(key: $key) { pipeline { id name } userErrors { code message field } }
}`;

export const PEOPLE = `
query People {
  users(first: 100) { edges { node { id name email role active team { id name } } } }
  teams { id name inMyScope manager { id name } parent { id name } }
}`;

export const CREATE_QUEUE = `
mutation CreateQueue($input: QueueInput!) {
  createQueue(input: $input) { queue { id name } userErrors { code message field } }
}`;

export const UPDATE_TEAM = `
mutation UpdateTeam($id: ID!, $input: UpdateTeamInput!) {
  updateTeam(id: $id, input: $input) { team { id name } userErrors { code message field } }
}`;

export const CREATE_TEAM = `
mutation CreateTeam($input: CreateTeamInput!) {
  createTeam(input: $input) { team { id name } userErrors { code message field } }
}`;

export const AUTOMATIONS = `
query Automations {
  automationRules { id name enabled trigger { kind } }
  automationRuns(first: 20) { edges { node { id status error reason attempts createdAt rule { name } } } }
}`;

export const SET_AUTOMATION_ENABLED = `
mutation SetAutomationRuleEnabled($id: ID!, $enabled: Boolean!) {
  setAutomationRuleEnabled(id: $id, enabled: $enabled) { rule { id enabled } userErrors { code message field } }
}`;

export const RETRY_AUTOMATION_RUN = `
mutation RetryAutomationRun($id: ID!) {
  retryAutomationRun(id: $id) { userErrors { code message field } }
}`;

export const API_KEYS = `query ApiKeys { apiKeys { id name role scope createdAt revokedAt } }`;

export const CREATE_API_KEY = `
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id name } userErrors { code message field } }
}`;

export const REVOKE_API_KEY = `
mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { apiKey { id revokedAt } userErrors { code message field } } }`;

export const PIPELINES = `
query Pipelines { pipelines { id name stages { id name kind probability requiredFields requiresScheduledTask } } }`;

export const UPDATE_STAGE = `
mutation UpdateStage($id: ID!, $input: StageUpdateInput!) {
  updateStage(id: $id, input: $input) { stage { id requiredFields requiresScheduledTask } userErrors { code message field } }
}`;
