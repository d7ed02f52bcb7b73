// GraphQL documents of the settings' roletas and capture forms.

const PROBLEMS = "userErrors { code message field }";

export const QUEUES = `
query Queues {
  queues(concerningMe: true) {
    id name mode strategy backlog viewerRuns
    members { weight capacity active viewerCanChange user { id name online } }
  }
  queueCandidates { id name }
}`;

export const SET_QUEUE_MEMBER = `
mutation SetQueueMember($queueId: ID!, $input: QueueMemberInput!) {
  setQueueMember(queueId: $queueId, input: $input) { queue { id } ${PROBLEMS} }
}`;

export const REMOVE_QUEUE_MEMBER = `
mutation RemoveQueueMember($queueId: ID!, $userId: ID!) {
  removeQueueMember(queueId: $queueId, userId: $userId) { queue { id } ${PROBLEMS} }
}`;

export const UPDATE_QUEUE = `
mutation UpdateQueue($id: ID!, $input: QueueUpdateInput!) {
  updateQueue(id: $id, input: $input) { queue { id } ${PROBLEMS} }
}`;

export const ARCHIVE_QUEUE = `
mutation ArchiveQueue($id: ID!) { archiveQueue(id: $id) { queue { id } ${PROBLEMS} } }`;

const FORM_FIELDS = `
  id name key endpoint honeypotField source media campaign fieldMapping thankYouUrl
  queue { id name } pipeline { id name }`;

export const FORMS = `
query Forms {
  forms { ${FORM_FIELDS} }
  queues { id name }
  pipelines { id name }
}`;

export const CREATE_FORM = `
mutation CreateForm($input: FormInput!) { createForm(input: $input) { form { ${FORM_FIELDS} } ${PROBLEMS} } }`;

export const UPDATE_FORM = `
mutation UpdateForm($id: ID!, $input: UpdateFormInput!) {
  updateForm(id: $id, input: $input) { form { ${FORM_FIELDS} } ${PROBLEMS} }
}`;

export const ARCHIVE_FORM = `
mutation ArchiveForm($id: ID!) { archiveForm(id: $id) { form { id archivedAt } ${PROBLEMS} } }`;
