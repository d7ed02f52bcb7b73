// Settings: capture forms, each with the HTML to paste into a site (posts
// to the form's endpoint, with its honeypot field hidden from people).

import { h } from "./dom.js";
import { FORMS } from "./setup-documents.js";
import { gql } from "./setup-forms.js";

export function embedSnippet(form) {
  const action = new URL(form.endpoint, location.origin).href;
  return [
    `<form action="${action}" method="post">`,
    `  <input name="name" placeholder="Nome" required>`,
    `  <input name="email" type="email" placeholder="E-mail">`,
    `  <input name="phone" type="tel" placeholder="Telefone">`,
    `  <input name="${form.honeypotField}" tabindex="-1" autocomplete="off" style="display:none">`,
    `  <button type="submit">Enviar</button>`,
    `</form>`,
  ].join("\n");
}

export async function formsSection() {
  const { forms } = await gql(FORMS);
  if (!forms.length) return h("p", { class: "hint" }, "Nenhum formulário de captura ainda.");
  return h(
    "div",
    { class: "settings-section" },
    forms.map((form) => {
      const code = h("textarea", { readonly: true, rows: 7, class: "embed-snippet", "aria-label": `Código para o site: ${form.name}` }, embedSnippet(form));
      const copy = h("button", { type: "button", onclick: () => { code.select(); navigator.clipboard?.writeText(code.value).catch(() => document.execCommand("copy")); } }, "Copiar código");
      return h(
        "section",
        { class: "setup-step", "aria-label": form.name },
        h("h2", {}, form.name),
        h("p", { class: "hint" }, `Origem: ${form.source}${form.queue ? ` · Roleta: ${form.queue.name}` : ""}`),
        code,
        copy,
      );
    }),
  );
}
