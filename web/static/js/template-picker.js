// Outside the reply window only an approved template may go: pick one of
// the inbox's templates, fill each {{n}}, see the text, send it.

import { field, h } from "./dom.js";
import { fillTemplate } from "./drafts.js";
import { TI } from "./inbox-labels.js";

export class TemplatePicker {
  /**
   * @param {{name: string, language: string, body: string, variableCount: number}[]} templates
   * @param {(template: object, variables: string[]) => Promise<string>} send "sent", "refused" or "failed"
   */
  constructor(templates, send) {
    this.templates = templates;
    this.send = send;
    this.sending = false;
    this.element = h("form", { class: "template-picker", "aria-label": TI.templates, onsubmit: (e) => this.submit(e) });
    if (!templates.length) {
      this.element.append(h("p", { class: "empty-templates" }, TI.noTemplates));
      return;
    }
    this.select = h(
      "select",
      { name: "template", required: true, onchange: () => this.picked() },
      h("option", { value: "" }, TI.chooseTemplate),
      templates.map((template, index) =>
        h("option", { value: String(index) }, `${template.name} (${template.language})`),
      ),
    );
    this.fields = h("div", { class: "template-variables" });
    this.preview = h("p", { class: "template-preview", "aria-live": "polite" });
    this.button = h("button", { type: "submit", class: "primary", disabled: true }, TI.sendTemplate);
    this.element.append(field(TI.template, this.select), this.fields, this.preview, this.button);
  }

  get template() {
    return this.select.value === "" ? null : this.templates[Number(this.select.value)];
  }

  variables() {
    return [...this.fields.querySelectorAll("input")].map((input) => input.value.trim());
  }

  picked() {
    const template = this.template;
    this.fields.replaceChildren();
    if (template) {
      for (let n = 1; n <= template.variableCount; n += 1) {
        this.fields.append(
          field(
            TI.variable(n),
            h("input", { name: `variable-${n}`, required: true, oninput: () => this.showPreview() }),
          ),
        );
      }
    }
    this.showPreview();
  }

  showPreview() {
    const template = this.template;
    this.preview.textContent = template ? fillTemplate(template.body, this.variables()) : "";
    this.button.disabled = this.sending || !template;
  }

  async submit(event) {
    event.preventDefault();
    const template = this.template;
    if (!template || this.sending || !this.element.reportValidity()) return;
    this.sending = true;
    this.button.disabled = true;
    this.button.textContent = TI.sending;
    let result = "failed";
    try {
      result = await this.send(template, this.variables());
    } finally {
      this.sending = false;
      this.button.textContent = TI.sendTemplate;
      if (result === "sent") {
        this.select.value = "";
        this.picked();
      }
      this.showPreview();
    }
  }
}
