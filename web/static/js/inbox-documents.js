// The GraphQL documents of the inbox (contract: inbox.graphql).

// What a list item and a thread header show; events carry the same.
export const CONVERSATION = `
  id number status priority tags snoozedUntil waitingSince lastMessageAt createdAt
  canReply replyWindowClosesAt
  inbox { id name channel replyWindowHours }
  contact { id name phone email }
  assignee { id name }
  sla { state firstResponseDueAt nextResponseDueAt resolutionDueAt }
`;

export const MESSAGE = `
  id kind direction body templateName status error clientMessageId at authorLabel
  author { id name }
`;

const ERRORS = "userErrors { code message field }";

export const INBOX_SETUP = `
query InboxSetup { inboxSequence inboxes { id name channel } }`;

export const INBOX_SEQUENCE = `query InboxSequence { inboxSequence }`;

export const CONVERSATIONS = `
query Conversations($filter: ConversationFilter, $search: String, $first: Int, $after: String) {
  conversations(filter: $filter, search: $search, first: $first, after: $after,
                orderBy: [{ field: LAST_MESSAGE_AT, direction: DESC }]) {
    pageInfo { hasNextPage endCursor }
    edges { node { ${CONVERSATION} } }
  }
}`;

export const THREAD = `
query Thread($id: ID!, $before: String) {
  conversation(id: $id) {
    ${CONVERSATION}
    inbox { templates { name language body variableCount } }
    messages(last: 50, before: $before) {
      pageInfo { hasPreviousPage startCursor }
      edges { node { ${MESSAGE} } }
    }
  }
}`;

export const CANNED_RESPONSES = `
query Canned($search: String) { cannedResponses(search: $search) { id shortCode title body } }`;

export const PEOPLE_AND_QUEUES = `
query Targets { users(first: 100) { edges { node { id name online } } } queues { id name } }`;

export const SEND_MESSAGE = `
mutation SendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) { message { ${MESSAGE} } conversation { ${CONVERSATION} } ${ERRORS} }
}`;

export const SEND_TEMPLATE = `
mutation SendTemplate($input: SendTemplateInput!) {
  sendTemplate(input: $input) { message { ${MESSAGE} } conversation { ${CONVERSATION} } ${ERRORS} }
}`;

const conversationMutation = (name, signature, call) => `
mutation ${name}(${signature}) {
  ${call} { conversation { ${CONVERSATION} } ${ERRORS} }
}`;

export const ASSIGN = conversationMutation(
  "Assign",
  "$id: ID!, $userId: ID",
  "assignConversation(id: $id, userId: $userId)",
);
export const TRANSFER = conversationMutation(
  "Transfer",
  "$input: TransferConversationInput!",
  "transferConversation(input: $input)",
);
export const RESOLVE = conversationMutation("Resolve", "$id: ID!", "resolveConversation(id: $id)");
export const REOPEN = conversationMutation("Reopen", "$id: ID!", "reopenConversation(id: $id)");
export const HAND_OFF = conversationMutation(
  "HandOff",
  "$id: ID!, $reason: String",
  "handOffToHuman(id: $id, reason: $reason)",
);
export const SNOOZE = conversationMutation(
  "Snooze",
  "$id: ID!, $until: DateTime!",
  "snoozeConversation(id: $id, until: $until)",
);
export const UPDATE = conversationMutation(
  "UpdateConversation",
  "$id: ID!, $input: ConversationUpdateInput!",
  "updateConversation(id: $id, input: $input)",
);

export const INBOX_EVENTS = `
subscription InboxEvents($since: Int) {
  inboxEvents(since: $since) {
    sequence kind conversationId at
    actor { id name }
    conversation { ${CONVERSATION} }
    message { ${MESSAGE} }
  }
}`;
