// The conversation list as data, without the DOM: which filter it shows,
// the loaded pages in the server's order (latest message first), and how
// inboxEvents change it — a conversation that stops matching the filter or
// that the user may no longer see leaves, one that starts matching comes in.

export const DEFAULT_FILTER = Object.freeze({ assignment: "all", status: "OPEN", sla: "", inboxId: "", search: "" });

/** The ConversationFilter of the API for what the list shows. */
export function conversationFilter(spec, meId) {
  const filter = {};
  if (spec.assignment === "mine") filter.assigneeId = { eq: meId };
  else if (spec.assignment === "unassigned") filter.assigneeId = { isNull: true };
  if (spec.status) filter.status = [spec.status];
  if (spec.sla) filter.slaState = [spec.sla];
  if (spec.inboxId) filter.inboxId = { eq: spec.inboxId };
  return filter;
}

function folded(text) {
  return String(text || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}

/** As the server searches: the contact's name, e-mail or phone, or "#12". */
export function matchesSearch(conversation, search) {
  const text = folded(search).trim();
  if (!text) return true;
  const number = /^#?(\d+)$/.exec(text);
  if (number && Number(number[1]) === conversation.number) return true;
  const contact = conversation.contact || {};
  if (folded(contact.name).includes(text) || folded(contact.email).includes(text)) return true;
  const digits = text.replace(/\D/g, "");
  return (
    digits.length >= 3 &&
    String(contact.phone || "")
      .replace(/\D/g, "")
      .includes(digits)
  );
}

/** Whether a conversation belongs in a list showing `spec`. */
export function matches(conversation, spec, meId) {
  const assignee = conversation.assignee ? conversation.assignee.id : null;
  if (spec.assignment === "mine" && assignee !== meId) return false;
  if (spec.assignment === "unassigned" && assignee !== null) return false;
  if (spec.status && conversation.status !== spec.status) return false;
  if (spec.sla && (!conversation.sla || conversation.sla.state !== spec.sla)) return false;
  if (spec.inboxId && (!conversation.inbox || conversation.inbox.id !== spec.inboxId)) return false;
  // The server leaves out conversations without a message when ordering by it.
  if (!conversation.lastMessageAt) return false;
  return matchesSearch(conversation, spec.search);
}

/** The list's order: the latest message first, then the newest conversation. */
export function compareConversations(a, b) {
  const at = (c) => (c.lastMessageAt ? Date.parse(c.lastMessageAt) : -Infinity);
  return at(b) - at(a) || b.number - a.number;
}

export class InboxList {
  /**
   * @param {object} spec what the list shows (DEFAULT_FILTER's keys)
   * @param {string} meId the signed-in user's id ("Minhas")
   * @param {number} lastSequence the inboxSequence read before the first page
   */
  constructor(spec, meId, lastSequence) {
    this.spec = { ...DEFAULT_FILTER, ...spec };
    this.meId = meId;
    this.lastSequence = lastSequence;
    this.items = [];
    this.hasNextPage = false;
    this.endCursor = null;
    this.loaded = false;
  }

  /** The first page of a (new) filter. */
  reset(connection, spec = this.spec) {
    this.spec = { ...DEFAULT_FILTER, ...spec };
    this.items = [];
    this.loaded = true;
    this.append(connection);
  }

  /** The next page, after `endCursor`. */
  append(connection) {
    for (const edge of connection.edges) {
      if (!this.get(edge.node.id)) this.items.push(edge.node);
    }
    this.hasNextPage = connection.pageInfo.hasNextPage;
    this.endCursor = connection.pageInfo.endCursor;
  }

  get(conversationId) {
    return this.items.find((item) => item.id === conversationId) || null;
  }

  /** Takes a conversation out; returns whether it was listed. */
  remove(conversationId) {
    const index = this.items.findIndex((item) => item.id === conversationId);
    if (index < 0) return false;
    this.items.splice(index, 1);
    return true;
  }

  /**
   * Puts a conversation as it is now where it belongs: in order if it
   * matches the filter, out if not. One that sorts after the last loaded
   * item while more pages remain is left for those pages. Returns whether
   * the list changed.
   */
  upsert(conversation) {
    const wasListed = this.remove(conversation.id);
    if (!matches(conversation, this.spec, this.meId)) return wasListed;
    let index = this.items.findIndex((item) => compareConversations(conversation, item) < 0);
    if (index < 0) {
      if (this.hasNextPage && !wasListed) return false;
      index = this.items.length;
    }
    this.items.splice(index, 0, conversation);
    return true;
  }

  /**
   * Applies one InboxEvent in sequence order. Returns whether the list
   * changed, or null when the event was already applied.
   */
  apply(event) {
    if (event.sequence <= this.lastSequence) return null;
    this.lastSequence = event.sequence;
    return this.change(event);
  }

  /**
   * A mutation's answer: refreshes a listed conversation (or takes it out
   * when it no longer matches) but never brings one in — its live event
   * may already have taken it out, and that event knows visibility.
   */
  refresh(conversation) {
    if (!this.get(conversation.id)) return false;
    return this.upsert(conversation);
  }

  /** An event's effect on the list, whatever its sequence. */
  change(event) {
    if (event.kind === "REMOVED" || !event.conversation) return this.remove(event.conversationId);
    return this.upsert(event.conversation);
  }
}
