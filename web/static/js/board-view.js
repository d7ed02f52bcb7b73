// Draws the board: one column per stage, header with count and total, the
// cards, and a slot where a stage gate asks for missing fields.

import { h } from "./dom.js";
import { FIELD_LABELS, T, money } from "./labels.js";
import { recordHash } from "./routes.js";

export class BoardView {
  /**
   * @param {HTMLElement} root
   * @param {import("./board-state.js").BoardState} state
   * @param {string} currency the workspace currency, for column totals
   * @param {{openMoveMenu: (dealId: string, button: HTMLElement) => void}} actions
   */
  constructor(root, state, currency, actions) {
    this.root = root;
    this.state = state;
    this.currency = currency;
    this.actions = actions;
    this.columns = new Map();
  }

  render() {
    this.root.replaceChildren();
    this.columns.clear();
    const board = h("div", { class: "board", role: "list", "aria-label": T.deals });
    for (const stage of this.state.stages) {
      const column = h(
        "section",
        {
          class: `column kind-${stage.kind.toLowerCase()}`,
          role: "listitem",
          "aria-labelledby": `stage-title-${stage.id}`,
          dataset: { stageId: stage.id, stageName: stage.name },
        },
        h(
          "header",
          { class: "column-header" },
          h("h2", { id: `stage-title-${stage.id}` }, stage.name),
          h("p", { class: "column-totals" }, h("span", { class: "count" }), h("span", { class: "total" })),
        ),
        h("div", { class: "gate-slot" }),
        h("ol", { class: "cards", "aria-label": stage.name }),
      );
      this.columns.set(stage.id, column);
      board.append(column);
    }
    this.root.append(board);
    for (const stage of this.state.stages) this.renderColumn(stage.id);
    this.markSequence();
  }

  column(stageId) {
    return this.columns.get(stageId) || null;
  }

  /** Redraws the given columns, keeping keyboard focus on the card that had it. */
  refresh(stageIds) {
    const focusedDeal = document.activeElement && document.activeElement.closest("[data-deal-id]");
    const focusId = focusedDeal ? focusedDeal.dataset.dealId : null;
    for (const stageId of stageIds) this.renderColumn(stageId);
    this.markSequence();
    if (focusId && !document.activeElement.closest("[data-deal-id]")) this.focusCard(focusId);
  }

  focusCard(dealId) {
    const card = this.root.querySelector(`.card[data-deal-id="${CSS.escape(dealId)}"]`);
    if (card) card.focus();
  }

  markSequence() {
    this.root.dataset.sequence = String(this.state.lastSequence);
  }

  renderColumn(stageId) {
    const stage = this.state.stage(stageId);
    const column = this.columns.get(stageId);
    if (!stage || !column) return;
    const totals = this.state.totals(stage);
    column.querySelector(".count").textContent = T.dealCount(totals.count);
    column.querySelector(".total").textContent = money(totals.cents / 100, this.currency);
    column.dataset.count = String(totals.count);
    column.querySelector(".cards").replaceChildren(...stage.cards.map((deal) => this.card(deal)));
  }

  card(deal) {
    return h(
      "li",
      {
        class: "card",
        draggable: "true",
        tabindex: "0",
        dataset: { dealId: deal.id, version: String(deal.version) },
        "aria-label": deal.title,
      },
      // The title opens the deal's page; the card itself is still what is dragged.
      h("h3", { class: "card-title" }, h("a", { href: recordHash("deal", deal.id), class: "card-link", draggable: "false" }, deal.title)),
      deal.value === null
        ? h("p", { class: "card-value empty-value" }, T.noValue)
        : h("p", { class: "card-value" }, money(deal.value, deal.currency)),
      h(
        "p",
        { class: "card-people" },
        h("span", { class: "owner", title: FIELD_LABELS.owner }, deal.owner ? deal.owner.name : T.noOwner),
        h("span", { class: "contact", title: FIELD_LABELS.contact }, deal.contact ? deal.contact.name : T.noContact),
      ),
      h(
        "button",
        {
          type: "button",
          class: "move-button",
          "aria-haspopup": "menu",
          onclick: (event) => this.actions.openMoveMenu(deal.id, event.currentTarget),
        },
        T.moveTo,
      ),
    );
  }
}
