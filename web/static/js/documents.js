// The GraphQL documents the board sends (contract: identity and pipeline).

const CARD = `
  id title value currency version customFields
  stage { id }
  owner { id name }
  contact { id name }
`;

export const ME = `
query Me { me { id name role locale } workspace { name currency timezone defaultLocale } pipelines { id name } }`;

export const BOARD = `
query Board($id: ID!) {
  pipeline(id: $id) {
    id name boardSequence
    stages {
      id name kind probability requiredFields requiresScheduledTask dealCount totalValue
      deals(first: 100) { edges { node { ${CARD} } } }
    }
  }
}`;

export const DEAL = `
query Deal($id: ID!) { deal(id: $id) { ${CARD} } }`;

export const MOVE_DEAL = `
mutation MoveDeal($input: MoveDealInput!) {
  moveDeal(input: $input) { deal { ${CARD} } userErrors { code message field rule } }
}`;

export const BOARD_EVENTS = `
subscription BoardEvents($pipelineId: ID!, $since: Int) {
  boardEvents(pipelineId: $pipelineId, since: $since) {
    sequence kind dealId fromStageId toStageId afterDealId
    actor { id name }
    deal { ${CARD} }
  }
}`;

export const CHOICES = {
  company: `query Companies { companies(first: 100) { edges { node { id name } } } }`,
  contact: `query Contacts { contacts(first: 100) { edges { node { id name } } } }`,
  owner: `query Users { users(first: 100) { edges { node { id name } } } }`,
};

export const CREATE_TASK = `
mutation CreateTask($input: TaskInput!) {
  createTask(input: $input) { task { id title dueAt } userErrors { code message field } }
}`;
