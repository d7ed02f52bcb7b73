// Draws one conversation: a header with who, where, badges and the
// actions (assign to me, transfer, resolve/reopen, snooze, priority), the
// messages oldest first (inbound and outbound bubbles, private notes in
// yellow, activity as small centred lines), and the reply area below.

import { snoozePresets } from "./clock.js";
import { h } from "./dom.js";
import { CHANNEL, DELIVERY, PRIORITY, SNOOZE, TI, fullTime, messageTime } from "./inbox-labels.js";
import { conversationBadges } from "./inbox-view.js";
import { ReplyBox } from "./reply-box.js";
import { routeHash } from "./routes.js";
import { TemplatePicker } from "./template-picker.js";

const NEAR_BOTTOM_PX = 120;

export class ThreadView {
  /**
   * @param {HTMLElement} root
   * @param {import("./thread-state.js").ThreadState} state
   * @param {object} options
   * @param {string} options.zone the workspace's time zone
   * @param {string} options.meId
   * @param {object} options.actions assignToMe, transfer, resolve, reopen, handOff, snooze(until),
   *   priority(value), loadOlder, send(body, kind), sendTemplate(template, variables), searchCanned(query)
   */
  constructor(root, state, options) {
    this.root = root;
    this.state = state;
    this.options = options;
    // What each drawn message showed, to redraw only those that changed.
    this.drawn = new WeakMap();
  }

  render() {
    const actions = this.options.actions;
    this.header = h("header", { class: "thread-header" });
    this.older = h(
      "button",
      { type: "button", class: "load-older link", onclick: () => actions.loadOlder() },
      TI.loadOlder,
    );
    this.messages = h("ol", {
      class: "messages",
      "aria-label": TI.messages,
      "aria-live": "polite",
      "aria-relevant": "additions",
    });
    this.scroller = h("div", { class: "messages-scroller" }, this.older, this.messages);
    this.banner = h("p", { class: "window-banner", role: "status" });
    this.picker = new TemplatePicker(this.state.templates, (template, variables) =>
      actions.sendTemplate(template, variables),
    );
    this.reply = new ReplyBox({
      send: (body, kind) => actions.send(body, kind),
      searchCanned: (query) => actions.searchCanned(query),
    });
    this.gone = h(
      "p",
      { class: "gone-notice", role: "alert" },
      TI.gone,
      " ",
      h("a", { href: routeHash("inbox") }, TI.back),
    );
    this.footer = h(
      "footer",
      { class: "thread-footer" },
      this.banner,
      this.picker.element,
      this.reply.element,
      this.gone,
    );
    this.root.replaceChildren(this.header, this.scroller, this.footer);
    this.refreshHeader();
    this.refreshMessages(true);
  }

  refreshHeader(now = new Date()) {
    const conversation = this.state.conversation;
    const zone = this.options.zone;
    const actions = this.options.actions;
    const gone = this.state.gone;
    const mine = conversation.assignee && conversation.assignee.id === this.options.meId;
    const resolved = conversation.status === "RESOLVED";
    const presets = snoozePresets(now, zone);
    const snoozeSelect = h(
      "select",
      {
        name: "snooze",
        "aria-label": TI.snooze,
        disabled: gone || resolved,
        onchange: (event) => {
          const preset = presets.find((p) => p.key === event.target.value);
          event.target.value = "";
          if (preset) actions.snooze(preset.until);
        },
      },
      h("option", { value: "" }, TI.snoozeTo),
    );
    for (const preset of presets) {
      snoozeSelect.append(h("option", { value: preset.key, title: fullTime(preset.until, zone) }, SNOOZE[preset.key]));
    }
    const priority = h(
      "select",
      {
        name: "priority",
        "aria-label": TI.priority,
        disabled: gone,
        onchange: (e) => actions.priority(e.target.value),
      },
      Object.entries(PRIORITY).map(([value, text]) =>
        h("option", { value, selected: value === conversation.priority }, text),
      ),
    );
    const button = (label, onclick, extra = {}) =>
      h("button", { type: "button", class: "action", onclick, disabled: gone, ...extra }, label);
    this.header.replaceChildren(
      h("a", { class: "back link", href: routeHash("inbox") }, `‹ ${TI.back}`),
      h(
        "div",
        { class: "thread-title" },
        h("h2", {}, conversation.contact.name, " ", h("span", { class: "number" }, `#${conversation.number}`)),
        h(
          "p",
          { class: "thread-meta" },
          h("span", {}, `${conversation.inbox.name} · ${CHANNEL[conversation.inbox.channel] || ""}`),
          h("span", { class: "contact-phone" }, conversation.contact.phone || conversation.contact.email || ""),
          h("span", { class: "assignee" }, conversation.assignee ? conversation.assignee.name : TI.noAssignee),
          conversation.status === "SNOOZED" && conversation.snoozedUntil
            ? h("span", {}, TI.snoozedUntil(fullTime(conversation.snoozedUntil, zone)))
            : null,
        ),
        h("p", { class: "badges" }, conversationBadges(conversation, now)),
      ),
      h(
        "div",
        { class: "thread-actions", role: "group", "aria-label": TI.actions },
        conversation.status === "PENDING" ? button(TI.handOff, () => actions.handOff()) : null,
        mine ? null : button(TI.assignToMe, () => actions.assignToMe()),
        button(TI.transfer, () => actions.transfer(), { disabled: gone || resolved, "aria-haspopup": "dialog" }),
        resolved ? button(TI.reopen, () => actions.reopen()) : button(TI.resolve, () => actions.resolve()),
        snoozeSelect,
        priority,
      ),
    );
    this.refreshFooter(now);
  }

  refreshFooter(now = new Date()) {
    const gone = this.state.gone;
    const closed = !this.state.canReplyNow(now);
    this.banner.textContent = TI.windowClosed(this.state.conversation.inbox.replyWindowHours);
    this.banner.hidden = gone || !closed;
    this.picker.element.hidden = gone || !closed;
    this.reply.element.hidden = gone;
    this.reply.setWindowClosed(closed);
    this.gone.hidden = !gone;
  }

  /**
   * Redraws the messages; stays at the bottom when the reader was there.
   * New messages are appended and changed ones replaced in place, so the
   * ones already read are not announced again.
   */
  refreshMessages(toBottom = false) {
    const nearBottom =
      this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < NEAR_BOTTOM_PX;
    this.older.hidden = !this.state.hasOlder;
    const wanted = this.state.messages;
    const shown = [...this.messages.children];
    const growing = shown.length <= wanted.length && shown.every((item, i) => item.dataset.messageId === wanted[i].id);
    if (!growing) {
      this.messages.replaceChildren(...wanted.map((message) => this.message(message)));
    } else {
      wanted.forEach((message, i) => {
        if (i >= shown.length) this.messages.append(this.message(message));
        else if (this.drawn.get(shown[i]) !== JSON.stringify(message)) shown[i].replaceWith(this.message(message));
      });
    }
    if (toBottom || nearBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  message(message) {
    const item = this.drawMessage(message);
    this.drawn.set(item, JSON.stringify(message));
    return item;
  }

  drawMessage(message) {
    const zone = this.options.zone;
    const time = h("time", { datetime: message.at, title: fullTime(message.at, zone) }, messageTime(message.at, zone));
    if (message.kind === "ACTIVITY") {
      return h(
        "li",
        { class: "message activity", dataset: { messageId: message.id, kind: message.kind } },
        h("span", { class: "activity-text" }, message.body),
        " · ",
        time,
      );
    }
    const side = message.kind === "NOTE" ? "note" : message.direction === "INBOUND" ? "inbound" : "outbound";
    const author = message.author
      ? message.author.id === this.options.meId
        ? TI.you
        : message.author.name
      : side === "inbound"
        ? this.state.conversation.contact.name
        : message.authorLabel === "bot"
          ? TI.bot
          : null;
    return h(
      "li",
      { class: `message ${side}`, dataset: { messageId: message.id, kind: message.kind } },
      h(
        "div",
        { class: "bubble" },
        side === "note" ? h("p", { class: "bubble-label" }, TI.privateNote) : null,
        message.kind === "TEMPLATE" ? h("p", { class: "bubble-label" }, TI.templateSent(message.templateName)) : null,
        h("p", { class: "body" }, message.body),
        message.status === "FAILED" && message.error
          ? h("p", { class: "delivery-error", role: "note" }, TI.sendFailed(message.error))
          : null,
        h(
          "p",
          { class: "bubble-meta" },
          author ? h("span", { class: "author" }, author) : null,
          time,
          side === "outbound" && message.status
            ? h("span", { class: `delivery delivery-${message.status.toLowerCase()}` }, DELIVERY[message.status])
            : null,
        ),
      ),
    );
  }
}
