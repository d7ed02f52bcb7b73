// Settings: the editor of one capture form — name, origin defaults (source,
// media, campaign), the roleta and pipeline its leads go to, the thank-you
// page, and its field mapping as rows "campo enviado → campo do lead" — with
// each userError said next to its field or mapping row.

import { h } from "./dom.js";
import { input, labelled, select, submitting } from "./setup-forms.js";

// The lead fields a posted field may feed (Form.fieldMapping), as people read them.
export const LEAD_FIELDS = {
  name: "Nome",
  email: "E-mail",
  phone: "Telefone",
  message: "Mensagem",
  media: "Mídia",
  campaign: "Campanha",
  landingPage: "Página de entrada",
};
const CUSTOM = "customFields.";

/** A mapping's lead field as people read it ("Telefone", "Campo personalizado: bairro"). */
export function leadFieldLabel(target) {
  if (target.startsWith(CUSTOM)) return `Campo personalizado: ${target.slice(CUSTOM.length)}`;
  return LEAD_FIELDS[target] || target;
}

let rows = 0;

function mappingRow(posted = "", target = "") {
  const n = ++rows;
  const custom = target.startsWith(CUSTOM);
  const postedInput = input("posted", {
    value: posted,
    placeholder: "ex.: telefone_celular",
    "aria-label": `Campo enviado pelo site (${n})`,
  });
  const kind = select(
    "target",
    [...Object.entries(LEAD_FIELDS), ["custom", "Campo personalizado…"]],
    custom ? "custom" : target || "name",
  );
  kind.setAttribute("aria-label", `Campo do lead (${n})`);
  const key = input("customKey", {
    value: custom ? target.slice(CUSTOM.length) : "",
    placeholder: "chave",
    "aria-label": `Chave do campo personalizado (${n})`,
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
    h("button", { type: "button", "aria-label": `Tirar a linha ${n} do mapeamento`, onclick: () => row.remove() }, "Tirar"),
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
      problems.push({ code: "DUPLICATE", message: "Este campo enviado já está mapeado.", field });
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
const MAPPING_HELP =
  "Campo enviado pelo site → campo do lead. Nome, e-mail, telefone e mensagem com esses nomes " +
  "(name, email, phone, message) são lidos sem mapeamento.";

/**
 * A form that creates (`form` null) or edits a capture form: `save(input)`
 * resolves to the mutation's payload, `done()` follows a saved one.
 */
export function formEditor(form, { queues, pipelines }, { save, done, cancel }) {
  const list = h("div", { class: "mapping-rows" }, Object.entries(form?.fieldMapping || {}).map(([p, t]) => mappingRow(p, t)));
  const general = h("p", { class: "field-error", role: "alert" });
  const title = form ? `Editar ${form.name}` : "Novo formulário";
  const editor = h(
    "form",
    { class: "setup-form setup-step form-editor", "aria-label": title },
    h("h2", {}, title),
    labelled("Nome do formulário", input("name", { value: form?.name || "", required: true, maxlength: 200 })),
    labelled("Origem", input("source", { value: form?.source || "", placeholder: "form" })),
    labelled("Mídia padrão", input("media", { value: form?.media || "", placeholder: "ex.: pago, orgânico" })),
    labelled("Campanha padrão", input("campaign", { value: form?.campaign || "" })),
    labelled("Roleta dos leads", select("queueId", [["", "Nenhuma"], ...choices(queues)], form?.queue?.id || "")),
    labelled(
      "Funil (abre um negócio por lead)",
      select("pipelineId", [["", "Nenhum"], ...choices(pipelines)], form?.pipeline?.id || ""),
    ),
    labelled(
      "Página de agradecimento (URL)",
      input("thankYouUrl", { value: form?.thankYouUrl || "", placeholder: "https://…" }),
    ),
    h(
      "fieldset",
      { class: "mapping" },
      h("legend", {}, "Mapeamento de campos"),
      h("p", { class: "hint" }, MAPPING_HELP),
      list,
      h("button", { type: "button", onclick: () => list.append(mappingRow()) }, "Adicionar campo"),
      h("p", { class: "field-error", role: "alert", dataset: { errorFor: "fieldMapping" } }),
    ),
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "submit" }, form ? "Salvar formulário" : "Criar formulário"),
      h("button", { type: "button", onclick: cancel }, "Cancelar"),
    ),
    general,
  );
  submitting(editor, general, {
    busy: "Salvando…",
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
