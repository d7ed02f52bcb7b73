// Draws the conversation list: the filters (mine, unassigned, status, SLA,
// inbox, search), one item per conversation with its badges, and "Carregar
// mais" while the server has more.

import { field, h } from "./dom.js";
import { CHANNEL, PRIORITY, SLA, STATUS, STATUS_FILTERS, TI, elapsed, fullTime, listTime } from "./inbox-labels.js";
import { routeHash } from "./routes.js";

const SEARCH_DELAY_MS = 300;

export function badge(kind, value, text) {
  return h("span", { class: `badge badge-${kind} ${kind}-${value.toLowerCase()}`, dataset: { [kind]: value } }, text);
}

/** The badges of a conversation: status, priority (unless medium), SLA at risk, waiting. */
export function conversationBadges(conversation, now = new Date()) {
  const badges = [badge("status", conversation.status, STATUS[conversation.status])];
  if (conversation.priority !== "MEDIUM") {
    badges.push(badge("priority", conversation.priority, PRIORITY[conversation.priority]));
  }
  const sla = conversation.sla && conversation.sla.state;
  if (sla === "WARNING" || sla === "BREACHED") badges.push(badge("sla", sla, SLA[sla]));
  if (conversation.waitingSince && conversation.status !== "RESOLVED") {
    badges.push(h("span", { class: "waiting" }, TI.waiting(elapsed(conversation.waitingSince, now))));
  }
  return badges;
}

export class InboxListView {
  /**
   * @param {HTMLElement} root
   * @param {import("./inbox-state.js").InboxList} state
   * @param {object} options
   * @param {string} options.zone the workspace's time zone
   * @param {{id: string, name: string}[]} options.inboxes
   * @param {(spec: object) => void} options.onFilter a filter changed
   * @param {() => void} options.onLoadMore
   */
  constructor(root, state, options) {
    this.root = root;
    this.state = state;
    this.options = options;
    this.selectedId = null;
    this.searchTimer = null;
  }

  render() {
    const spec = this.state.spec;
    const assignment = h(
      "div",
      { class: "assignment-filter", role: "group", "aria-label": TI.assignment },
      [
        ["mine", TI.mine],
        ["unassigned", TI.unassigned],
        ["all", TI.everyone],
      ].map(([value, label]) =>
        h(
          "button",
          {
            type: "button",
            class: "segment",
            "aria-pressed": String(spec.assignment === value),
            onclick: () => this.changed({ assignment: value }),
          },
          label,
        ),
      ),
    );
    const select = (name, label, options, value) =>
      field(
        label,
        h(
          "select",
          { name, onchange: (event) => this.changed({ [name]: event.target.value }) },
          options.map(([key, text]) => h("option", { value: key, selected: key === value }, text)),
        ),
      );
    const search = h("input", {
      type: "search",
      name: "search",
      value: spec.search,
      "aria-label": TI.search,
      placeholder: TI.searchHint,
      oninput: (event) => {
        clearTimeout(this.searchTimer);
        const text = event.target.value;
        this.searchTimer = setTimeout(() => this.changed({ search: text }), SEARCH_DELAY_MS);
      },
    });
    const inboxes = this.options.inboxes.map((inbox) => [inbox.id, `${inbox.name} · ${CHANNEL[inbox.channel]}`]);
    const filters = h(
      "form",
      { class: "inbox-filters", role: "search", "aria-label": TI.filters, onsubmit: (e) => e.preventDefault() },
      search,
      assignment,
      h(
        "div",
        { class: "filter-row" },
        select("status", TI.status, [["", TI.anyStatus], ...Object.entries(STATUS_FILTERS)], spec.status),
        select(
          "sla",
          TI.sla,
          [
            ["", TI.anySla],
            ["WARNING", SLA.WARNING],
            ["BREACHED", SLA.BREACHED],
          ],
          spec.sla,
        ),
        inboxes.length > 1 ? select("inboxId", TI.inbox, [["", TI.anyInbox], ...inboxes], spec.inboxId) : null,
        h(
          "button",
          { type: "button", class: "link csv", title: TI.exportCsvHint, onclick: () => this.options.onExport() },
          TI.exportCsv,
        ),
      ),
    );
    this.list = h("ol", { class: "conversation-items", "aria-label": TI.conversations });
    this.more = h(
      "button",
      { type: "button", class: "load-more", onclick: () => this.options.onLoadMore() },
      TI.loadMore,
    );
    this.root.replaceChildren(filters, this.list, this.more);
    this.refresh();
  }

  changed(change) {
    this.options.onFilter({ ...this.state.spec, ...change });
  }

  /** Marks the filter being shown (the segment buttons) without redrawing the form. */
  showSpec() {
    const pressed = { mine: TI.mine, unassigned: TI.unassigned, all: TI.everyone }[this.state.spec.assignment];
    for (const button of this.root.querySelectorAll(".assignment-filter .segment")) {
      button.setAttribute("aria-pressed", String(button.textContent === pressed));
    }
  }

  /** Redraws the items, keeping keyboard focus on the item that had it. */
  refresh(now = new Date()) {
    const focused = document.activeElement && document.activeElement.closest("[data-conversation-id]");
    const focusId = focused && this.root.contains(focused) ? focused.dataset.conversationId : null;
    const items = this.state.items.map((conversation) => this.item(conversation, now));
    if (this.state.loaded && !items.length) items.push(h("li", { class: "empty" }, TI.noConversations));
    this.list.replaceChildren(...items);
    this.list.setAttribute("aria-busy", String(!this.state.loaded));
    this.more.hidden = !this.state.hasNextPage;
    if (focusId) {
      const link = this.list.querySelector(`[data-conversation-id="${CSS.escape(focusId)}"] a`);
      if (link) link.focus();
    }
  }

  select(conversationId) {
    this.selectedId = conversationId;
    for (const link of this.list.querySelectorAll(".conversation-link")) {
      const current = link.parentElement.dataset.conversationId === conversationId;
      if (current) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
  }

  item(conversation, now) {
    const zone = this.options.zone;
    return h(
      "li",
      {
        class: "conversation-item",
        dataset: { conversationId: conversation.id, status: conversation.status },
      },
      h(
        "a",
        {
          class: "conversation-link",
          href: routeHash("inbox", conversation.id),
          "aria-current": conversation.id === this.selectedId ? "true" : null,
        },
        h(
          "span",
          { class: "item-top" },
          h("span", { class: "contact-name" }, conversation.contact.name),
          conversation.lastMessageAt
            ? h(
                "time",
                { datetime: conversation.lastMessageAt, title: fullTime(conversation.lastMessageAt, zone) },
                listTime(conversation.lastMessageAt, zone, now),
              )
            : null,
        ),
        h(
          "span",
          { class: "item-meta" },
          h("span", { class: "number" }, `#${conversation.number}`),
          h("span", { class: "inbox-name" }, conversation.inbox.name),
          h(
            "span",
            { class: "channel", dataset: { channel: conversation.inbox.channel } },
            CHANNEL[conversation.inbox.channel] || conversation.inbox.channel,
          ),
          h("span", { class: "assignee" }, conversation.assignee ? conversation.assignee.name : TI.noAssignee),
        ),
        h("span", { class: "badges" }, conversationBadges(conversation, now)),
      ),
    );
  }
}
