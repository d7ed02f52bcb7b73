// Forms of sign-up, invitations and settings: labelled inputs with their
// error said next to them, and a submit that shows userErrors where they belong.

import { ApiError, gql } from "./api.js";
import { h } from "./dom.js";
import { explain, S } from "./setup-labels.js";

let ids = 0;

/** A labelled input (or select) with an empty error line under it, keyed by `name`. */
export function labelled(label, control) {
  if (!control.id) control.id = `setup-${++ids}`;
  const error = h("p", { class: "field-error", role: "alert", dataset: { errorFor: control.name } });
  return h("div", { class: "setup-field" }, h("label", { for: control.id }, label), control, error);
}

export function input(name, attributes = {}) {
  return h("input", { name, ...attributes });
}

export function select(name, options, value = null) {
  return h(
    "select",
    { name },
    options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)),
  );
}

/** Put each userError next to its field (by the last word of its path), the rest in `general`. */
export function showProblems(form, general, problems) {
  for (const line of form.querySelectorAll("[data-error-for]")) line.textContent = "";
  general.textContent = "";
  for (const problem of problems) {
    const path = problem.field || [];
    const name = path[path.length - 1];
    const line = name && form.querySelector(`[data-error-for="${name}"]`);
    if (line) line.textContent = explain(problem);
    else general.textContent = [general.textContent, explain(problem)].filter(Boolean).join(" ");
  }
}

/**
 * Wire a form: on submit, `send(data)` returns the mutation's payload;
 * userErrors go next to their fields, success goes to `done(payload)`.
 */
export function submitting(form, general, { busy, send, done }) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const label = button.textContent;
    button.disabled = true;
    button.textContent = busy;
    try {
      const payload = await send(new FormData(form));
      const problems = payload.userErrors || [];
      showProblems(form, general, problems);
      if (!problems.length) await done(payload);
    } catch (problem) {
      general.textContent = problem instanceof ApiError && problem.code === "NETWORK" ? S.networkError : problem.message;
    }
    button.disabled = false;
    button.textContent = label;
  });
}

export { gql };
