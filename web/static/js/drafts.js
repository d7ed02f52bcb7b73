// What the reply box does with text, without the DOM: the "/atalho" being
// typed (canned responses), putting a response's body in its place,
// filling a template's {{n}}, and the idempotency key of a message being
// sent — one per message, the same on every retry of it.

/**
 * The "/word" right before the caret, at the start or after a space:
 * {start, end, query}, or null when the caret is not on one.
 */
export function slashToken(text, caret) {
  const before = text.slice(0, caret);
  const found = /(^|\s)\/([^\s/]*)$/.exec(before);
  if (!found) return null;
  const start = caret - found[2].length - 1;
  return { start, end: caret, query: found[2] };
}

/** The text with the token replaced by `body`, and where the caret goes. */
export function insertCanned(text, token, body) {
  const next = text.slice(0, token.start) + body + text.slice(token.end);
  return { text: next, caret: token.start + body.length };
}

/** A template's body with {{1}}, {{2}}... filled in (empty ones stay visible). */
export function fillTemplate(body, variables) {
  return body.replace(/\{\{(\d+)\}\}/g, (placeholder, n) => {
    const value = variables[Number(n) - 1];
    return value ? value : placeholder;
  });
}

export function newClientMessageId() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The clientMessageId of what is being sent: the same while the same
 * message (text and kind, in the same conversation) is retried — a double
 * click or a retry after a lost answer is stored once — and a new one for
 * the next message.
 */
export class OutgoingMessage {
  constructor(makeId = newClientMessageId) {
    this.makeId = makeId;
    this.pending = null;
  }

  idFor(conversationId, body, kind) {
    const key = JSON.stringify([conversationId, body, kind]);
    if (!this.pending || this.pending.key !== key) this.pending = { key, id: this.makeId() };
    return this.pending.id;
  }

  /** The message went through (or was refused for good): the next one gets a new id. */
  settled() {
    this.pending = null;
  }
}
