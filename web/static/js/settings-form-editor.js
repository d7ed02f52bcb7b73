// Settings: the editor of one capture form — name, origin defaults (source,
// media, campaign), the roleta and pipeline its leads go to, the thank-you
// page, and its field mapping as rows "campo enviado → campo do lead" — with
// each userError said next to its field or mapping row.

import { h } from "./dom.js";
import { LEAD_FIELDS, ST } from "./settings-labels.js";
import { input, labelled, select, submitting } from "./setup-forms.js";
const CUSTOM = "customFields.";

/** A mapping's lead field as people read it ("Telefone", "Campo personalizado: bairro"). */
export function leadFieldLabel(target) {
  if (target.startsWith(CUSTOM)) return ST.customField(target.slice(CUSTOM.length));
  return LEAD_FIELDS[target] || target;
}

let rows = 0;

function mappingRow(posted = "", target = "") {
  const n = ++rows;
  const custom = target.startsWith(CUSTOM);
  const postedInput = input("posted", {
    value: posted,
    placeholder: ST.postedExample,
    "aria-label": ST.postedField(n),
  });
  const kind = select(
    "target",
    [...Object.entries(LEAD_FIELDS), ["custom", ST.customFieldChoice]],
    custom ? "custom" : target || "name",
  );
  kind.setAttribute("aria-label", ST.leadField(n));
  const key = input("customKey", {
    value: custom ? target.slice(CUSTOM.length) : "",
    placeholder: ST.customKey,
    "aria-label": ST.customKeyOf(n),
    hidden: !custom,
  });
  kind.addEventListener("change", () => (key.hidden = kind.value !== "custom"));
  const row = h(
    "div",
    { class: "mapping-row", dataset: { row: String(n) } },
    postedInput,
    h("span", { "aria-hidden": "true" }, "→"),
    kind,
    key,
    h("button", { type: "button", "aria-label": ST.dropRowNamed(n), onclick: () => row.remove() }, ST.dropRow),
    h("p", { class: "field-error", role: "alert", dataset: { errorFor: `mapping-${n}` } }),
  );
  row.read = () => ({
    posted: postedInput.value.trim(),
    target: kind.value === "custom" ? CUSTOM + key.value.trim() : kind.value,
  });
  return row;
}

/** The mapping rows as the API's object; a posted name said twice is refused here, on its row. */
function readMapping(list) {
  // No prototype: a posted field may be called "constructor" or "__proto__".
  const mapping = Object.create(null);
  const problems = [];
  for (const row of list.querySelectorAll(".mapping-row")) {
    const { posted, target } = row.read();
    if (Object.hasOwn(mapping, posted)) {
      const field = [`mapping-${row.dataset.row}`];
      problems.push({ code: "DUPLICATE", message: ST.duplicatePosted, field });
    }
    mapping[posted] = target;
  }
  return { mapping, problems };
}

/** userErrors on `input.fieldMapping.<posted>` go to that posted name's row. */
function onRows(list, problems) {
  return problems.map((problem) => {
    const path = problem.field || [];
    const at = path.indexOf("fieldMapping");
    if (at < 0 || at === path.length - 1) return problem;
    const row = [...list.querySelectorAll(".mapping-row")].find((r) => r.read().posted === path[at + 1]);
    return row ? { ...problem, field: [`mapping-${row.dataset.row}`] } : problem;
  });
}

const orNull = (value) => (String(value || "").trim() === "" ? null : String(value).trim());
const choices = (records) => records.map((record) => [record.id, record.name]);
// Left empty, these are sent as null: no default, no queue, no pipeline, no thank-you page.
const OPTIONAL = ["source", "media", "campaign", "queueId", "pipelineId", "thankYouUrl"];

/**
 * A form that creates (`form` null) or edits a capture form: `save(input)`
 * resolves to the mutation's payload, `done()` follows a saved one.
 */
export function formEditor(form, { queues, pipelines }, { save, done, cancel }) {
  const list = h("div", { class: "mapping-rows" }, Object.entries(form?.fieldMapping || {}).map(([p, t]) => mappingRow(p, t)));
  const general = h("p", { class: "field-error", role: "alert" });
  const title = form ? ST.editName(form.name) : ST.newForm;
  const editor = h(
    "form",
    { class: "setup-form setup-step form-editor", "aria-label": title },
    h("h2", {}, title),
    labelled(ST.formName, input("name", { value: form?.name || "", required: true, maxlength: 200 })),
    labelled(ST.source, input("source", { value: form?.source || "", placeholder: "form" })),
    labelled(ST.defaultMedia, input("media", { value: form?.media || "", placeholder: ST.mediaExample })),
    labelled(ST.defaultCampaign, input("campaign", { value: form?.campaign || "" })),
    labelled(ST.leadsQueue, select("queueId", [["", ST.noQueue], ...choices(queues)], form?.queue?.id || "")),
    labelled(
      ST.formPipeline,
      select("pipelineId", [["", ST.noPipeline], ...choices(pipelines)], form?.pipeline?.id || ""),
    ),
    labelled(
      ST.thankYouPage,
      input("thankYouUrl", { value: form?.thankYouUrl || "", placeholder: "https://…" }),
    ),
    h(
      "fieldset",
      { class: "mapping" },
      h("legend", {}, ST.fieldMapping),
      h("p", { class: "hint" }, ST.mappingHelp),
      list,
      h("button", { type: "button", onclick: () => list.append(mappingRow()) }, ST.addField),
      h("p", { class: "field-error", role: "alert", dataset: { errorFor: "fieldMapping" } }),
    ),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit" }, form ? ST.saveForm : ST.createForm),
      h("button", { type: "button", onclick: cancel }, ST.cancel),
    ),
    general,
  );
  submitting(editor, general, {
    busy: ST.saving,
    send: async (data) => {
      const { mapping, problems } = readMapping(list);
      if (problems.length) return { userErrors: problems };
      const values = {
        name: String(data.get("name") || ""),
        fieldMapping: mapping,
        ...Object.fromEntries(OPTIONAL.map((key) => [key, orNull(data.get(key))])),
      };
      const payload = await save(values);
      return { ...payload, userErrors: onRows(list, payload.userErrors || []) };
    },
    done,
  });
  return editor;
}
