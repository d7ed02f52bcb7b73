// Moving cards: HTML5 drag and drop plus a "Mover para…" menu for keyboards,
// an optimistic move rolled back when the server refuses it, and the stage
// gate form that asks for the missing fields and retries with `patch`
// (or, for a stage that requires a scheduled task, task-gate.js's form).

import { ApiError, gql } from "./api.js";
import { h } from "./dom.js";
import { CHOICES, DEAL, MOVE_DEAL } from "./documents.js";
import { T, fieldLabel } from "./labels.js";
import { needsScheduledTask, showTaskGate } from "./task-gate.js";

/**
 * The deal field a userError's path points at: ["input","patch","value"] ->
 * "value", [...,"companyId"] -> "company", [...,"customFields","cpf"] or
 * [..., "customFields.cpf"] -> "customFields.cpf", ["input","lostReason"] ->
 * "lostReason".
 */
export function missingField(path) {
  if (!path || !path.length) return null;
  const parts = path[0] === "input" ? path.slice(1) : path.slice();
  if (parts[0] === "patch") parts.shift();
  if (!parts.length) return null;
  if (parts[0] === "customFields" && parts.length > 1) return `customFields.${parts[1]}`;
  const name = parts[0];
  if (["companyId", "contactId", "ownerId"].includes(name)) return name.slice(0, -2);
  return name;
}

/**
 * pt-BR or plain input ("250.000,50", "1.000", "250000.5") -> "250000.50";
 * null when not a number. Dots in groups of three are thousands, as pt-BR
 * writes them.
 */
export function decimalInput(text) {
  let value = String(text).trim().replace(/^R\$\s*/, "").replace(/\s/g, "");
  if (value.includes(",")) value = value.replace(/\./g, "").replace(",", ".");
  else if (/^-?\d{1,3}(\.\d{3})+$/.test(value)) value = value.replace(/\./g, "");
  if (!/^-?\d+(\.\d+)?$/.test(value)) return null;
  return Number(value).toFixed(2);
}

export class MoveController {
  /** @param me the ME query's answer (the user, their workspace and its zone) */
  constructor(state, view, notify, me) {
    this.state = state;
    this.view = view;
    this.notify = notify;
    this.me = me;
    this.dragging = null;
    this.menu = null;
  }

  attach(root) {
    root.addEventListener("dragstart", (event) => this.dragStart(event));
    root.addEventListener("dragover", (event) => this.dragOver(event));
    root.addEventListener("drop", (event) => this.drop(event));
    root.addEventListener("dragend", () => this.dragEnd());
  }

  // -- drag and drop ------------------------------------------------------

  dragStart(event) {
    const card = event.target.closest && event.target.closest(".card");
    if (!card) return;
    this.dragging = card.dataset.dealId;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", this.dragging);
  }

  dragOver(event) {
    const column = event.target.closest && event.target.closest(".column");
    if (!column || !this.dragging) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const list = column.querySelector(".cards");
    const before = this.cardBelow(list, event.clientY);
    const marker = this.marker();
    if (before) list.insertBefore(marker, before);
    else list.append(marker);
  }

  /** The first card whose middle is below the pointer (the drop goes above it). */
  cardBelow(list, y) {
    for (const card of list.querySelectorAll(".card:not(.dragging)")) {
      const box = card.getBoundingClientRect();
      if (y < box.top + box.height / 2) return card;
    }
    return null;
  }

  marker() {
    let marker = document.querySelector(".drop-marker");
    if (!marker) marker = h("li", { class: "drop-marker", "aria-hidden": "true" });
    return marker;
  }

  drop(event) {
    const column = event.target.closest && event.target.closest(".column");
    const dealId = this.dragging || event.dataTransfer.getData("text/plain");
    if (!column || !dealId) return;
    event.preventDefault();
    const marker = document.querySelector(".drop-marker");
    let above = marker ? marker.previousElementSibling : null;
    while (above && (!above.classList.contains("card") || above.dataset.dealId === dealId)) {
      above = above.previousElementSibling;
    }
    this.dragEnd();
    this.move(dealId, column.dataset.stageId, above ? above.dataset.dealId : null);
  }

  dragEnd() {
    this.dragging = null;
    for (const element of document.querySelectorAll(".drop-marker")) element.remove();
    for (const element of document.querySelectorAll(".card.dragging")) element.classList.remove("dragging");
  }

  // -- keyboard fallback --------------------------------------------------

  openMoveMenu(dealId, button) {
    this.closeMoveMenu();
    const found = this.state.find(dealId);
    if (!found) return;
    const close = () => {
      this.closeMoveMenu();
      button.focus();
    };
    const options = this.state.stages
      .filter((stage) => stage.id !== found.stage.id)
      .map((stage) =>
        h(
          "li",
          { role: "none" },
          h(
            "button",
            {
              type: "button",
              role: "menuitem",
              dataset: { stageId: stage.id },
              onclick: () => {
                this.closeMoveMenu();
                this.move(dealId, stage.id, null);
              },
            },
            stage.name,
          ),
        ),
      );
    const menu = h(
      "div",
      {
        class: "move-menu",
        onkeydown: (event) => {
          if (event.key === "Escape") close();
          if (event.key === "ArrowDown" || event.key === "ArrowUp") {
            const items = [...menu.querySelectorAll("button")];
            const at = items.indexOf(document.activeElement);
            const next = (at + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
            items[next].focus();
            event.preventDefault();
          }
        },
      },
      h("p", { class: "move-menu-title" }, T.moveTo),
      h("ul", { role: "menu", "aria-label": T.moveTo }, options),
      h("button", { type: "button", class: "link", onclick: close }, T.cancel),
    );
    button.closest(".card").append(menu);
    this.menu = menu;
    const first = menu.querySelector("[role=menuitem]");
    if (first) first.focus();
  }

  closeMoveMenu() {
    if (this.menu) this.menu.remove();
    this.menu = null;
  }

  // -- the move itself ----------------------------------------------------

  /**
   * Moves the card at once, then asks the server; a refusal puts it back
   * and says why (or asks for what the target stage requires).
   */
  async move(dealId, stageId, afterDealId, extra = {}) {
    const before = this.state.snapshot(dealId);
    if (!before) return { ok: false };
    const unchanged = before.stageId === stageId && before.afterDealId === afterDealId;
    if (unchanged && !extra.patch && !extra.lostReason) return { ok: true };
    this.view.refresh(this.state.place(before.deal, stageId, afterDealId));
    this.setPending(dealId, true);
    const input = { dealId, stageId, afterDealId, expectedVersion: before.deal.version, ...extra };
    let payload;
    try {
      payload = (await gql(MOVE_DEAL, { input })).moveDeal;
    } catch (error) {
      this.rollback(before);
      this.notify(error instanceof ApiError && error.code === "UNAUTHENTICATED" ? T.sessionExpired : T.unexpected);
      return { ok: false };
    } finally {
      this.setPending(dealId, false);
    }
    if (payload.userErrors.length === 0) {
      const touched = this.state.find(dealId) ? this.state.update(payload.deal) : new Set();
      this.view.refresh(touched);
      this.clearGate(stageId);
      return { ok: true };
    }
    this.rollback(before);
    await this.refused(before.deal, stageId, afterDealId, payload.userErrors);
    return { ok: false, errors: payload.userErrors };
  }

  rollback(before) {
    // A live event may have moved the card meanwhile; then it is already right.
    const now = this.state.find(before.deal.id);
    if (!now || now.deal.version !== before.deal.version) return;
    this.view.refresh(this.state.place(now.deal, before.stageId, before.afterDealId));
  }

  setPending(dealId, pending) {
    const card = this.view.root.querySelector(`.card[data-deal-id="${CSS.escape(dealId)}"]`);
    if (card) card.classList.toggle("pending", pending);
  }

  async refused(deal, stageId, afterDealId, errors) {
    const missing = errors.filter((error) => error.code === "REQUIRED_FIELD_MISSING");
    if (missing.length) {
      this.showGate(deal, stageId, afterDealId, missing);
      return;
    }
    const fieldErrors = errors.filter((error) => error.code === "INVALID" && missingField(error.field));
    if (fieldErrors.length && this.gateFor(stageId, deal.id)) {
      this.showGate(deal, stageId, afterDealId, fieldErrors);
      return;
    }
    if (needsScheduledTask(errors)) {
      showTaskGate(this, deal, stageId, afterDealId, errors);
      return;
    }
    const codes = new Set(errors.map((error) => error.code));
    if (codes.has("VERSION_CONFLICT")) {
      await this.reloadCard(deal.id);
      this.notify(T.versionConflict);
    } else if (codes.has("NOT_FOUND") && errors.some((e) => (e.field || []).includes("dealId"))) {
      this.view.refresh(new Set([this.state.remove(deal.id)].filter(Boolean)));
      this.notify(T.notFound);
    } else {
      this.notify(errors.map((error) => error.message).join(" "));
    }
  }

  async reloadCard(dealId) {
    try {
      const fresh = (await gql(DEAL, { id: dealId })).deal;
      if (!fresh) {
        this.view.refresh(new Set([this.state.remove(dealId)].filter(Boolean)));
        return;
      }
      const now = this.state.find(dealId);
      if (now && now.stage.id === fresh.stage.id) this.view.refresh(this.state.update(fresh));
      else this.view.refresh(this.state.place(fresh, fresh.stage.id, null));
    } catch {
      this.notify(T.unexpected);
    }
  }

  // -- the stage gate form ------------------------------------------------

  gateFor(stageId, dealId) {
    const column = this.view.column(stageId);
    const form = column && column.querySelector(".gate-form");
    return form && form.dataset.dealId === dealId ? form : null;
  }

  clearGate(stageId) {
    const column = this.view.column(stageId);
    if (column) column.querySelector(".gate-slot").replaceChildren();
  }

  showGate(deal, stageId, afterDealId, errors) {
    const column = this.view.column(stageId);
    const stage = this.state.stage(stageId);
    if (!column || !stage) return;
    const previous = this.gateFor(stageId, deal.id);
    const fields = previous ? JSON.parse(previous.dataset.fields) : [];
    for (const error of errors) {
      const field = missingField(error.field);
      if (field && !fields.includes(field)) fields.push(field);
    }
    if (!fields.length) {
      this.notify(errors.map((error) => error.message).join(" "));
      return;
    }
    // A missing field is said by the form itself; only a value the server
    // could not accept needs its message under the field.
    const messages = new Map(
      errors.filter((error) => error.code !== "REQUIRED_FIELD_MISSING").map((error) => [missingField(error.field), error.message]),
    );
    const kept = previous ? new FormData(previous) : null;
    const form = h(
      "form",
      {
        class: "gate-form",
        "aria-label": T.requiredFields,
        dataset: { dealId: deal.id, fields: JSON.stringify(fields) },
        onsubmit: (event) => {
          event.preventDefault();
          this.submitGate(form, deal, stageId, afterDealId, fields);
        },
      },
      h("h3", {}, T.requiredFields),
      h("p", { class: "gate-deal" }, deal.title),
      h("p", { class: "gate-hint" }, T.requiredFieldsHint(stage.name)),
      fields.map((field) => this.gateField(field, messages.get(field), kept)),
      h(
        "div",
        { class: "gate-actions" },
        h("button", { type: "submit", class: "primary" }, T.saveAndMove),
        h("button", { type: "button", class: "link", onclick: () => this.clearGate(stageId) }, T.cancel),
      ),
    );
    column.querySelector(".gate-slot").replaceChildren(form);
    this.reveal(form);
  }

  /** The whole form in view (the column may be off to the side), its first field focused. */
  reveal(form) {
    form.scrollIntoView({ block: "nearest", inline: "nearest" });
    const first = form.querySelector("input, select, textarea");
    if (first) first.focus({ preventScroll: true });
  }

  gateField(field, message, kept) {
    const id = `gate-${field.replace(/[^a-zA-Z0-9_-]/g, "-")}`;
    const previous = kept ? kept.get(field) : null;
    let control;
    if (field === "value") {
      control = h("input", { id, name: field, inputmode: "decimal", required: true, placeholder: "0,00" });
    } else if (field === "expectedCloseDate") {
      control = h("input", { id, name: field, type: "date", required: true });
    } else if (field === "lostReason") {
      control = h("textarea", { id, name: field, rows: "2", required: true });
    } else if (CHOICES[field]) {
      control = h("select", { id, name: field, required: true }, h("option", { value: "" }, T.choose));
      this.fillChoices(control, field, previous);
    } else {
      control = h("input", { id, name: field, required: true });
    }
    if (previous !== null && previous !== undefined) control.value = previous;
    return h(
      "div",
      { class: "gate-field" },
      h("label", { for: id }, fieldLabel(field)),
      control,
      message ? h("p", { class: "field-error", role: "alert" }, message) : null,
    );
  }

  async fillChoices(select, field, selected) {
    try {
      const data = await gql(CHOICES[field]);
      const connection = Object.values(data)[0];
      for (const edge of connection.edges) select.append(h("option", { value: edge.node.id }, edge.node.name));
      if (selected) select.value = selected;
    } catch {
      this.notify(T.unexpected);
    }
  }

  async submitGate(form, deal, stageId, afterDealId, fields) {
    const data = new FormData(form);
    const patch = {};
    const extra = {};
    const current = this.state.find(deal.id);
    const customFields = { ...((current ? current.deal : deal).customFields || {}) };
    let customChanged = false;
    for (const field of fields) {
      const raw = String(data.get(field) || "").trim();
      if (field === "lostReason") extra.lostReason = raw;
      else if (field === "value") patch.value = decimalInput(raw) ?? raw;
      else if (field === "expectedCloseDate") patch.expectedCloseDate = raw ? `${raw}T12:00:00Z` : null;
      else if (CHOICES[field]) patch[`${field}Id`] = raw || null;
      else if (field.startsWith("customFields.")) {
        customFields[field.slice("customFields.".length)] = raw;
        customChanged = true;
      } else patch[field] = raw;
    }
    if (customChanged) patch.customFields = customFields;
    if (Object.keys(patch).length) extra.patch = patch;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await this.move(deal.id, stageId, afterDealId, extra);
    } finally {
      button.disabled = false;
    }
  }
}
