// Forms of the record pages: labelled controls built from a list of field
// specs, and the server's userErrors shown next to the field their path
// names (["input", "email"] -> the "email" control, ["input",
// "customFields", "renda"] -> "customFields.renda"); an error naming no
// control of the form is said above the buttons.

import { h } from "./dom.js";
import { brDay } from "./report-format.js";
import { R } from "./record-labels.js";

let forms = 0;

/**
 * @typedef {object} FieldSpec
 * @property {string} name the input's key ("email", "customFields.renda")
 * @property {string} label
 * @property {string} [kind] text | email | tel | number | decimal | date | datetime | select | multiselect | checkbox | textarea
 * @property {{value: string, label: string}[]} [options] for select and multiselect
 * @property {boolean} [required]
 * @property {*} [value] the current value
 * @property {string} [hint]
 */

function control(spec, id) {
  const kind = spec.kind || "text";
  const common = { id, name: spec.name, required: spec.required || null, "aria-describedby": `${id}-error` };
  if (kind === "select" || kind === "multiselect") {
    const chosen = new Set([].concat(spec.value ?? []).map(String));
    const select = h(
      "select",
      { ...common, multiple: kind === "multiselect" || null },
      kind === "select" ? h("option", { value: "" }, R.choose) : null,
      (spec.options || []).map((option) =>
        h("option", { value: option.value, selected: chosen.has(String(option.value)) || null }, option.label),
      ),
    );
    return select;
  }
  if (kind === "checkbox") return h("input", { ...common, type: "checkbox", checked: spec.value === true || null });
  if (kind === "textarea") {
    const area = h("textarea", { ...common, rows: 3 });
    area.value = spec.value ?? "";
    return area;
  }
  const types = { email: "email", tel: "tel", number: "number", date: "date", datetime: "datetime-local" };
  const input = h("input", {
    ...common,
    type: types[kind] || "text",
    inputmode: kind === "decimal" ? "decimal" : null,
    step: kind === "number" ? "1" : null,
    autocomplete: kind === "email" ? "email" : kind === "tel" ? "tel" : "off",
  });
  input.value = spec.value ?? "";
  return input;
}

function readControl(element) {
  if (element.type === "checkbox") return element.checked;
  if (element.multiple) return [...element.selectedOptions].map((option) => option.value);
  return element.value.trim();
}

/** The error's field path as a control name: the input's wrapper dropped. */
export function fieldName(path) {
  const parts = [...(path || [])];
  if (parts[0] === "input") parts.shift();
  return parts.join(".");
}

/**
 * A form of labelled fields. `onSubmit(values)` resolves to the
 * userErrors (empty: done); a thrown error is shown as the form's error.
 */
export function recordForm({ label, fields, submitLabel = R.save, onSubmit, onCancel = null }) {
  const formId = `record-form-${++forms}`;
  const controls = new Map();
  const errors = new Map();
  const rows = fields.map((spec, index) => {
    const id = `${formId}-${index}`;
    const element = control(spec, id);
    const error = h("p", { class: "field-error", id: `${id}-error`, dataset: { errorFor: spec.name } });
    controls.set(spec.name, element);
    errors.set(spec.name, error);
    const labelText = spec.required ? `${spec.label} *` : spec.label;
    const wide = spec.kind === "textarea" || spec.kind === "multiselect";
    if (spec.kind === "checkbox") {
      return h("div", { class: "form-field checkbox-field" }, element, h("label", { for: id }, labelText), error);
    }
    return h(
      "div",
      { class: wide ? "form-field wide" : "form-field" },
      h("label", { for: id }, labelText),
      element,
      spec.hint ? h("span", { class: "field-hint" }, spec.hint) : null,
      error,
    );
  });
  const formError = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const form = h(
    "form",
    { class: "record-form", "aria-label": label, novalidate: true },
    h("div", { class: "form-grid" }, rows),
    formError,
    h(
      "div",
      { class: "form-buttons" },
      submit,
      onCancel ? h("button", { type: "button", class: "secondary", onclick: onCancel }, R.cancel) : null,
    ),
  );

  function clear() {
    formError.textContent = "";
    for (const [name, error] of errors) {
      error.textContent = "";
      controls.get(name).removeAttribute("aria-invalid");
    }
  }

  function show(userErrors) {
    const loose = [];
    let first = null;
    for (const problem of userErrors) {
      const name = fieldName(problem.field);
      if (errors.has(name)) {
        const error = errors.get(name);
        error.textContent = error.textContent ? `${error.textContent} ${problem.message}` : problem.message;
        controls.get(name).setAttribute("aria-invalid", "true");
        first = first || controls.get(name);
      } else loose.push(problem.message);
    }
    formError.textContent = loose.join(" ");
    if (first) first.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const values = {};
    for (const [name, element] of controls) values[name] = readControl(element);
    submit.disabled = true;
    const text = submit.textContent;
    submit.textContent = R.saving;
    try {
      const userErrors = (await onSubmit(values)) || [];
      show(userErrors);
    } catch (problem) {
      formError.textContent = problem.message;
    } finally {
      submit.disabled = false;
      submit.textContent = text;
    }
  });
  form.focusFirst = () => {
    const first = form.querySelector("input, select, textarea");
    if (first) first.focus();
  };
  return form;
}

// -- custom fields --------------------------------------------------

const KINDS = {
  TEXT: "text",
  NUMBER: "number",
  DECIMAL: "decimal",
  DATE: "date",
  BOOLEAN: "checkbox",
  SELECT: "select",
  MULTI_SELECT: "multiselect",
};

/** Field specs of an entity's custom fields, filled with the record's values. */
export function customFieldSpecs(definitions, current = {}) {
  return definitions.map((definition) => ({
    name: `customFields.${definition.key}`,
    label: definition.label,
    kind: KINDS[definition.type] || "text",
    required: definition.required,
    options: definition.options.map((option) => ({ value: option.key, label: option.label })),
    value: current[definition.key] ?? (definition.type === "MULTI_SELECT" ? [] : ""),
  }));
}

/** "350.000,00" or "350000.00" -> "350000.00"; "" -> null (the server judges the rest). */
export function decimalText(text) {
  const cleaned = String(text ?? "")
    .replace(/R\$|\s/g, "")
    .trim();
  if (!cleaned) return null;
  return cleaned.includes(",") ? cleaned.replace(/\./g, "").replace(",", ".") : cleaned;
}

/**
 * The whole customFields object to send: the record's values with the
 * form's over them (a cleared field is dropped; keys of archived fields stay).
 */
export function customFieldsOf(values, definitions, current = {}) {
  const result = { ...current };
  for (const definition of definitions) {
    const value = values[`customFields.${definition.key}`];
    let stored = value;
    if (definition.type === "NUMBER") stored = value === "" ? null : Number(value);
    else if (definition.type === "DECIMAL") stored = decimalText(value);
    else if (definition.type === "MULTI_SELECT") stored = value.length ? value : null;
    else if (definition.type !== "BOOLEAN") stored = value === "" ? null : value;
    if (stored === null || (definition.type === "BOOLEAN" && stored === false && !(definition.key in current))) {
      delete result[definition.key];
    } else result[definition.key] = stored;
  }
  return result;
}

const decimalFormat = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 2 });

/** A custom field's value as people read it. */
export function customFieldText(definition, value) {
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return R.none;
  const label = (key) => (definition.options.find((option) => option.key === key) || { label: key }).label;
  switch (definition.type) {
    case "DECIMAL":
    case "NUMBER":
      return decimalFormat.format(Number(value));
    case "DATE":
      return brDay(value);
    case "BOOLEAN":
      return value ? R.yes : R.no;
    case "SELECT":
      return label(value);
    case "MULTI_SELECT":
      return [].concat(value).map(label).join(", ");
    default:
      return typeof value === "object" ? JSON.stringify(value) : String(value);
  }
}

/** The fields of `values` that differ from the record's (what an update sends). */
export function changed(values, current) {
  const result = {};
  for (const [name, value] of Object.entries(values)) {
    if (JSON.stringify(value ?? null) !== JSON.stringify(current[name] ?? null)) result[name] = value;
  }
  return result;
}
