// One open conversation as data: the conversation as it is now, its
// messages oldest first (a page at a time, going back), and how inbox
// events and mutation payloads change it — each message once.

// How far a message got on its way; a status never goes back (FAILED ends it).
const PROGRESS = { RECEIVED: 0, QUEUED: 0, SENT: 1, DELIVERED: 2, READ: 3, FAILED: 4 };

/**
 * The newer of two copies of one message: the mutation's payload (QUEUED)
 * may arrive after the live event that already says SENT or FAILED, and
 * must not take the message back.
 */
function furthest(known, incoming) {
  const before = PROGRESS[known.status] ?? 0;
  const after = PROGRESS[incoming.status] ?? 0;
  if (before <= after) return incoming;
  return { ...incoming, status: known.status, error: known.error };
}

export class ThreadState {
  /** @param conversation the THREAD query's `conversation` */
  constructor(conversation) {
    const { messages, ...rest } = conversation;
    this.id = conversation.id;
    this.templates = (conversation.inbox && conversation.inbox.templates) || [];
    this.conversation = rest;
    this.messages = [];
    this.gone = false;
    this.older(messages);
  }

  /** An older page of messages (messages(last:, before:)), put in front. */
  older(connection) {
    const known = new Set(this.messages.map((message) => message.id));
    const page = connection.edges.map((edge) => edge.node).filter((message) => !known.has(message.id));
    this.messages = page.concat(this.messages);
    this.hasOlder = connection.pageInfo.hasPreviousPage;
    this.olderCursor = connection.pageInfo.startCursor;
  }

  /**
   * Adds a message, or replaces it when known (a delivery status changed).
   * Returns whether anything changed.
   */
  message(message) {
    const index = this.messages.findIndex((known) => known.id === message.id);
    if (index >= 0) {
      const next = furthest(this.messages[index], message);
      const same = JSON.stringify(this.messages[index]) === JSON.stringify(next);
      this.messages[index] = next;
      return !same;
    }
    // Oldest first; a message with the same time goes after those known.
    const at = Date.parse(message.at);
    let place = this.messages.length;
    while (place > 0 && Date.parse(this.messages[place - 1].at) > at) place -= 1;
    this.messages.splice(place, 0, message);
    return true;
  }

  /** The conversation as it is now (an event's or a payload's). */
  update(conversation) {
    const inbox = { ...this.conversation.inbox, ...conversation.inbox };
    this.conversation = { ...this.conversation, ...conversation, inbox };
    return true;
  }

  /**
   * An InboxEvent's effect: {header, messages} saying what to redraw, or
   * null when the event is about another conversation.
   */
  apply(event) {
    if (event.conversationId !== this.id) return null;
    if (event.kind === "REMOVED" || !event.conversation) {
      this.gone = true;
      return { header: true, messages: false, gone: true };
    }
    this.gone = false;
    const header = this.update(event.conversation);
    const messages = event.message ? this.message(event.message) : false;
    return { header, messages, gone: false };
  }

  /** Whether free text may go now: the server said so and the window has not closed since. */
  canReplyNow(now = new Date()) {
    const { canReply, replyWindowClosesAt } = this.conversation;
    if (!canReply) return false;
    return !replyWindowClosesAt || Date.parse(replyWindowClosesAt) > now.getTime();
  }
}
