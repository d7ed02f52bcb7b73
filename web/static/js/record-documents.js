// The GraphQL documents of the record pages, "Meu dia" and the search
// (contract: crm, pipeline, automations' notifications, distribution).

const ERRORS = "userErrors { code message field }";
const PAGE = "pageInfo { hasNextPage endCursor }";

export const TASK = `id title dueAt done assignee { id name } contact { id name } deal { id title }`;
const DEAL_ROW = `id number title value currency status stage { id name } pipeline { id name } owner { id name }`;
const CONTACT_ROW = `id number name email phone lifecycleStage createdAt owner { id name }`;
const EVENT = `id kind at summary actorLabel data`;
const DEFINITION = `key label type required options { key label }`;
const NOTIFICATION = `id message readAt createdAt contact { id name } deal { id title }`;

export const CONTACT_PAGE = `
query ContactPage($id: ID!) {
  contact(id: $id) {
    ${CONTACT_ROW} score source tags customFields deletedAt
    company { id name }
    deals(first: 50) { edges { node { ${DEAL_ROW} } } }
    tasks(first: 100) { edges { node { ${TASK} } } }
  }
  customFieldDefinitions(entity: CONTACT) { ${DEFINITION} }
  dealFields: customFieldDefinitions(entity: DEAL) { ${DEFINITION} }
  conversations(filter: { contactId: { eq: $id } }, first: 20) {
    edges { node { id number status lastMessageAt waitingSince inbox { name } } }
  }
}`;

export const CONTACT_TIMELINE = `
query ContactTimeline($id: ID!, $after: String) {
  record: contact(id: $id) { timeline(first: 20, after: $after) { edges { node { ${EVENT} } } ${PAGE} } }
}`;

export const DEAL_PAGE = `
query DealPage($id: ID!) {
  deal(id: $id) {
    ${DEAL_ROW} version expectedCloseDate lostReason customFields createdAt stageEnteredAt deletedAt
    contact { id name email phone }
    company { id name }
    development { id name }
  }
  customFieldDefinitions(entity: DEAL) { ${DEFINITION} }
  tasks(filter: { dealId: { eq: $id } }, first: 100) { edges { node { ${TASK} } } }
}`;

export const DEAL_TIMELINE = `
query DealTimeline($id: ID!, $after: String) {
  record: deal(id: $id) { timeline(first: 20, after: $after) { edges { node { ${EVENT} } } ${PAGE} } }
}`;

export const COMPANY_PAGE = `
query CompanyPage($id: ID!) {
  company(id: $id) {
    id name domain customFields createdAt deletedAt owner { id name }
    contacts(first: 50) { edges { node { ${CONTACT_ROW} } } }
    deals(first: 50) { edges { node { ${DEAL_ROW} } } }
  }
  customFieldDefinitions(entity: COMPANY) { ${DEFINITION} }
}`;

export const DEFINITIONS = `
query Definitions($entity: CustomFieldEntity!) { customFieldDefinitions(entity: $entity) { ${DEFINITION} } }`;

export const CHOICE_LISTS = `
query Choices {
  users(first: 100) { edges { node { id name active } } }
  companies(first: 100) { edges { node { id name } } }
  contacts(first: 100) { edges { node { id name } } }
  pipelines { id name stages { id name kind } }
}`;

export const CREATE_CONTACT = `
mutation CreateContact($input: ContactInput!) { createContact(input: $input) { contact { id } ${ERRORS} } }`;
export const UPDATE_CONTACT = `
mutation UpdateContact($id: ID!, $input: ContactUpdateInput!) { updateContact(id: $id, input: $input) { contact { id } ${ERRORS} } }`;
export const CREATE_COMPANY = `
mutation CreateCompany($input: CompanyInput!) { createCompany(input: $input) { company { id } ${ERRORS} } }`;
export const UPDATE_COMPANY = `
mutation UpdateCompany($id: ID!, $input: CompanyUpdateInput!) { updateCompany(id: $id, input: $input) { company { id } ${ERRORS} } }`;
export const CREATE_DEAL = `
mutation CreateDeal($input: DealInput!) { createDeal(input: $input) { deal { id } ${ERRORS} } }`;
export const UPDATE_DEAL = `
mutation UpdateDeal($id: ID!, $input: DealUpdateInput!, $expectedVersion: Int) {
  updateDeal(id: $id, input: $input, expectedVersion: $expectedVersion) { deal { id } ${ERRORS} }
}`;
export const CREATE_TASK = `
mutation CreateTask($input: TaskInput!) { createTask(input: $input) { task { ${TASK} } ${ERRORS} } }`;
export const UPDATE_TASK = `
mutation UpdateTask($id: ID!, $input: TaskUpdateInput!) { updateTask(id: $id, input: $input) { task { ${TASK} } ${ERRORS} } }`;
export const REOPEN_TASK = `
mutation ReopenTask($id: ID!) { reopenTask(id: $id) { task { id done } ${ERRORS} } }`;
export const COMPLETE_TASK = `
mutation CompleteTask($id: ID!) { completeTask(id: $id) { task { id done } ${ERRORS} } }`;
export const ADD_NOTE = `
mutation AddNote($input: NoteInput!) { addNote(input: $input) { event { ${EVENT} } ${ERRORS} } }`;

export const MY_DAY = `
query MyDay($me: ID!, $endOfToday: DateTime!) {
  tasks(filter: { assigneeId: { eq: $me }, done: false, dueAt: { lt: $endOfToday } }, first: 100) {
    edges { node { ${TASK} } }
  }
  contacts(filter: { ownerId: { eq: $me } }, first: 10) { edges { node { ${CONTACT_ROW} } } }
  deals(filter: { ownerId: { eq: $me }, status: [OPEN] }, first: 10) { edges { node { ${DEAL_ROW} } } }
  notifications(first: 10) { edges { node { ${NOTIFICATION} } } }
}`;

export const NOTIFICATIONS_LIVE = `subscription Notifications { notifications { ${NOTIFICATION} } }`;

export const MARK_READ = `
mutation MarkRead($id: ID!) { markNotificationRead(id: $id) { notification { id readAt } ${ERRORS} } }`;

export const NEXT_PENDING = `
query NextPending {
  nextPending { id name }
}`;

export const WAITING_CONVERSATION = `
query Waiting($contactId: ID!) {
  conversations(filter: { contactId: { eq: $contactId }, status: [OPEN, PENDING] }, first: 5) {
    edges { node { id waitingSince } }
  }
}`;

export const SEARCH = `
query Search($text: String!) {
  contacts(search: $text, first: 5) { edges { node { id number name email phone } } }
  companies(search: $text, first: 5) { edges { node { id name domain } } }
  deals(search: $text, first: 5) { edges { node { id number title stage { name } } } }
}`;
