// Pieces every record page is made of: panels with a heading, a list of
// facts, rows that link to other records, the pick lists of the forms, and
// a panel whose body is swapped for a form while it is being edited.

import { gql } from "./api.js";
import { h } from "./dom.js";
import { money } from "./labels.js";
import { phone } from "./record-format.js";
import { CHOICE_LISTS } from "./record-documents.js";
import { DEAL_STATUS, R } from "./record-labels.js";
import { recordHash } from "./routes.js";

let panels = 0;

/** A <section> headed by an <h2>, named by it for assistive technology. */
export function panel(title, ...content) {
  const id = `panel-${++panels}`;
  const heading = h("h2", { id }, title);
  return h("section", { class: "panel", "aria-labelledby": id }, heading, ...content);
}

/** A <dl> of [label, value] rows; a null value reads "—". */
export function facts(rows) {
  return h(
    "dl",
    { class: "facts" },
    rows.map(([label, value]) =>
      h("div", { class: "fact" }, h("dt", {}, label), h("dd", {}, value === null || value === undefined || value === "" ? R.none : value)),
    ),
  );
}

export function dealRow(deal) {
  return h(
    "li",
    { class: "record-row", dataset: { dealId: deal.id } },
    h("a", { href: recordHash("deal", deal.id) }, deal.title),
    h(
      "span",
      { class: "row-meta" },
      `${deal.pipeline ? `${deal.pipeline.name} › ` : ""}${deal.stage ? deal.stage.name : ""}`,
      " · ",
      deal.value === null || deal.value === undefined ? R.none : money(deal.value, deal.currency),
      deal.status && deal.status !== "OPEN" ? h("span", { class: `badge ${deal.status.toLowerCase()}` }, DEAL_STATUS[deal.status]) : null,
    ),
  );
}

export function contactRow(contact) {
  return h(
    "li",
    { class: "record-row", dataset: { contactId: contact.id } },
    h("a", { href: recordHash("contact", contact.id) }, contact.name),
    h("span", { class: "row-meta" }, [contact.email, contact.phone ? phone(contact.phone) : null].filter(Boolean).join(" · ") || R.none),
  );
}

/** A list of rows, or a muted line when there is none. */
export function rows(items, render, empty, label) {
  if (!items.length) return h("p", { class: "muted" }, empty);
  return h("ul", { class: "record-rows", "aria-label": label }, items.map(render));
}

export const nodes = (connection) => (connection ? connection.edges.map((edge) => edge.node) : []);

/** Users, companies, contacts and pipelines for the forms' pick lists (one request). */
export async function loadChoices() {
  const data = await gql(CHOICE_LISTS);
  return {
    users: nodes(data.users).filter((user) => user.active),
    companies: nodes(data.companies),
    contacts: nodes(data.contacts),
    pipelines: data.pipelines,
  };
}

/** [{value, label}] of records, the current one kept even when not in the list. */
export function options(list, current = null, label = (item) => item.name) {
  const result = list.map((item) => ({ value: item.id, label: label(item) }));
  if (current && !result.some((option) => option.value === current.id)) {
    result.unshift({ value: current.id, label: label(current) });
  }
  return result;
}

/**
 * A panel that shows `view()` and, on "Editar", the form `edit(close)`
 * builds in its place; `close()` brings the view back.
 */
export function editablePanel(title, view, edit) {
  const body = h("div", { class: "panel-body" });
  const button = h("button", { type: "button", class: "secondary edit-button" }, R.edit);
  const showView = () => {
    body.replaceChildren(view());
    button.hidden = false;
  };
  button.addEventListener("click", () => {
    const form = edit(() => {
      showView();
      button.focus();
    });
    body.replaceChildren(form);
    button.hidden = true;
    form.focusFirst();
  });
  showView();
  const section = panel(title, body);
  section.querySelector("h2").after(button);
  section.classList.add("editable");
  return section;
}

/** A button that opens a form below it (closing it again on cancel or success). */
export function formOpener(label, build) {
  const slot = h("div", { class: "form-slot" });
  const button = h("button", { type: "button", class: "secondary" }, label);
  const close = () => {
    slot.replaceChildren();
    button.hidden = false;
    button.focus();
  };
  button.addEventListener("click", () => {
    const form = build(close);
    slot.replaceChildren(form);
    button.hidden = true;
    form.focusFirst();
  });
  return h("div", { class: "form-opener" }, button, slot);
}
