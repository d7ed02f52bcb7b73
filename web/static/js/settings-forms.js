// Settings: capture forms — create and edit them (settings-form-editor.js),
// archive them (their endpoint answers 404 from then on), and the HTML to
// paste into a site: it posts to the form's endpoint with the fields its
// mapping reads, its honeypot field hidden from people.

import { h } from "./dom.js";
import { confirming } from "./settings-confirm.js";
import { ARCHIVE_FORM, CREATE_FORM, FORMS, UPDATE_FORM } from "./settings-documents.js";
import { formEditor, leadFieldLabel } from "./settings-form-editor.js";
import { LEAD_FIELDS, ST } from "./settings-labels.js";
import { gql, showProblems } from "./setup-forms.js";

const TYPES = { email: "email", phone: "tel" };

function inputFor(posted, target) {
  const label = LEAD_FIELDS[target] || target.replace(/^customFields\./, "");
  const type = TYPES[target] ? ` type="${TYPES[target]}"` : "";
  const required = target === "name" ? " required" : "";
  return `  <input name="${posted}"${type} placeholder="${label}"${required}>`;
}

/** The HTML to paste into a site: one input per mapped field, plus name, e-mail and phone unless mapped. */
export function embedSnippet(form) {
  const action = new URL(form.endpoint, location.origin).href;
  const mapping = Object.entries(form.fieldMapping || {});
  const fed = new Set(mapping.map(([, target]) => target));
  const posted = new Set(mapping.map(([name]) => name));
  const plain = ["name", "email", "phone"].filter((target) => !fed.has(target) && !posted.has(target));
  return [
    `<form action="${action}" method="post">`,
    ...plain.map((target) => inputFor(target, target)),
    ...mapping.map(([posted, target]) => inputFor(posted, target)),
    `  <input name="${form.honeypotField}" tabindex="-1" autocomplete="off" style="display:none">`,
    `  <button type="submit">${ST.send}</button>`,
    `</form>`,
  ].join("\n");
}

function describe(form) {
  const parts = [ST.origin(form.source)];
  if (form.media) parts.push(ST.media(form.media));
  if (form.campaign) parts.push(ST.campaign(form.campaign));
  if (form.queue) parts.push(ST.queueOf(form.queue.name));
  if (form.pipeline) parts.push(ST.pipelineOf(form.pipeline.name));
  return parts.join(" · ");
}

export async function formsSection(shell, reload) {
  const { forms, queues, pipelines } = await gql(FORMS);
  const choices = { queues, pipelines };
  const call = async (document, variables, name) => {
    try {
      return (await gql(document, variables))[name];
    } catch (error) {
      shell.failed(error);
      return { userErrors: [] };
    }
  };
  const slot = h("div", { class: "form-editor-slot" });
  const startNew = () => {
    const save = (input) => call(CREATE_FORM, { input }, "createForm");
    slot.replaceChildren(formEditor(null, choices, { save, done: reload, cancel: () => slot.replaceChildren() }));
    slot.querySelector("input").focus();
  };
  const cards = forms.map((form) => formCard(form, choices, call, reload));
  return h(
    "div",
    { class: "settings-section" },
    h("div", {}, h("button", { type: "button", onclick: startNew }, ST.newForm)),
    slot,
    cards.length ? cards : h("p", { class: "hint" }, ST.noForms),
  );
}

function copyButton(code) {
  const copy = () => {
    code.select();
    navigator.clipboard?.writeText(code.value).catch(() => document.execCommand("copy"));
  };
  return h("button", { type: "button", onclick: copy }, ST.copyCode);
}

function mappingList(form) {
  const mapping = Object.entries(form.fieldMapping || {});
  if (!mapping.length) return null;
  return h(
    "ul",
    { class: "mapping-summary", "aria-label": ST.mappingOf(form.name) },
    mapping.map(([posted, target]) => h("li", {}, `${posted} → ${leadFieldLabel(target)}`)),
  );
}

function formCard(form, choices, call, reload) {
  const card = h("section", { class: "setup-step", "aria-label": form.name });
  const general = h("p", { class: "field-error", role: "alert" });
  const code = h(
    "textarea",
    { readonly: true, rows: 8, class: "embed-snippet", "aria-label": ST.codeFor(form.name) },
    embedSnippet(form),
  );
  const view = () => [
    h("h2", {}, form.name),
    h("p", { class: "hint" }, describe(form)),
    mappingList(form),
    code,
    h("div", { class: "form-actions" }, copyButton(code), edit, archive),
    general,
  ];
  const startEdit = () => {
    const save = (input) => call(UPDATE_FORM, { id: form.id, input }, "updateForm");
    card.replaceChildren(formEditor(form, choices, { save, done: reload, cancel: () => card.replaceChildren(...view()) }));
  };
  const edit = h("button", { type: "button", "aria-label": ST.editName(form.name), onclick: startEdit }, ST.edit);
  const question = ST.archiveFormQuestion(form.name);
  const archive = confirming(
    ST.archive,
    question,
    ST.confirmArchive,
    async () => {
      const payload = await call(ARCHIVE_FORM, { id: form.id }, "archiveForm");
      if (payload.userErrors.length) showProblems(general, general, payload.userErrors);
      else await reload();
    },
    { "aria-label": ST.archiveNamed(form.name) },
  );
  card.append(...view());
  return card;
}
