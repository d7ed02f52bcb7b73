// What an agent does to the open conversation — assign, transfer,
// resolve, reopen, snooze, prioritise, reply, send a template — and how an
// answer shows at once: userErrors as toasts in pt-BR, never silently.

import { ApiError, gql } from "./api.js";
import { OutgoingMessage } from "./drafts.js";
import * as D from "./inbox-documents.js";
import { TI, userErrorText } from "./inbox-labels.js";
import { T } from "./labels.js";
import { askTransfer } from "./transfer-dialog.js";

export class ConversationActions {
  /** @param {import("./inbox-screen.js").InboxScreen} screen */
  constructor(screen) {
    this.screen = screen;
    this.shell = screen.shell;
    this.outgoing = new OutgoingMessage();
    this.targets = null;
  }

  /** The thread view's actions, on the conversation open at the time. */
  forThread() {
    const id = () => this.screen.thread.id;
    return {
      assignToMe: () => this.mutate(D.ASSIGN, { id: id(), userId: this.screen.me.id }, "assignConversation"),
      transfer: () => this.transfer(),
      resolve: () => this.mutate(D.RESOLVE, { id: id() }, "resolveConversation"),
      reopen: () => this.mutate(D.REOPEN, { id: id() }, "reopenConversation"),
      handOff: () => this.mutate(D.HAND_OFF, { id: id(), reason: TI.handOffReason }, "handOffToHuman"),
      snooze: (until) => this.mutate(D.SNOOZE, { id: id(), until: until.toISOString() }, "snoozeConversation"),
      priority: (priority) => this.mutate(D.UPDATE, { id: id(), input: { priority } }, "updateConversation"),
      loadOlder: () => this.screen.loadOlder(),
      send: (body, kind) => this.send(body, kind),
      sendTemplate: (template, variables) =>
        this.mutate(
          D.SEND_TEMPLATE,
          { input: { conversationId: id(), templateName: template.name, language: template.language, variables } },
          "sendTemplate",
        ),
      searchCanned: async (query) => (await gql(D.CANNED_RESPONSES, { search: query || null })).cannedResponses,
    };
  }

  async send(body, kind) {
    const conversationId = this.screen.thread.id;
    // The same key on every retry of this message: stored once, sent once.
    const clientMessageId = this.outgoing.idFor(conversationId, body, kind);
    const result = await this.mutate(
      D.SEND_MESSAGE,
      { input: { conversationId, body, kind, clientMessageId } },
      "sendMessage",
      TI.unsentDraft,
    );
    if (result !== "failed") this.outgoing.settled();
    return result;
  }

  async transfer() {
    const thread = this.screen.thread;
    if (!this.targets) {
      try {
        const data = await gql(D.PEOPLE_AND_QUEUES);
        this.targets = { users: data.users.edges.map((edge) => edge.node), queues: data.queues };
      } catch (error) {
        return this.shell.failed(error);
      }
    }
    const assignee = thread.conversation.assignee;
    const choice = await askTransfer(this.targets, assignee ? assignee.id : null);
    if (!choice || this.screen.thread !== thread) return;
    await this.mutate(D.TRANSFER, { input: { conversationId: thread.id, ...choice } }, "transferConversation");
  }

  /**
   * Runs a conversation or message mutation and shows its answer. Returns
   * "sent", "refused" (userErrors, shown as toasts) or "failed" (no answer).
   */
  async mutate(document, variables, field, failedMessage = null) {
    let payload;
    try {
      payload = (await gql(document, variables))[field];
    } catch (error) {
      if (error instanceof ApiError && error.code === "UNAUTHENTICATED") this.shell.failed(error);
      else this.shell.notify(failedMessage || T.unexpected, error.message);
      return "failed";
    }
    if (payload.userErrors.length) {
      for (const userError of payload.userErrors) {
        const text = userErrorText(userError);
        this.shell.notify(text.message, text.detail);
      }
      this.screen.refused();
      return "refused";
    }
    if (payload.conversation) this.screen.answered(payload.conversation, payload.message);
    return "sent";
  }
}
