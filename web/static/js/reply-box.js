// The reply box: free text to the contact or a private note ("Nota
// interna"), "/atalho" suggesting canned responses that insert their body,
// Enter to send (Shift+Enter for a new line). A message stays in the box
// until the server has it, so nothing typed is lost to a failed send.

import { h } from "./dom.js";
import { insertCanned, slashToken } from "./drafts.js";
import { TI } from "./inbox-labels.js";

const SUGGEST_DELAY_MS = 150;
const MAX_SUGGESTIONS = 8;
let boxes = 0;

export class ReplyBox {
  /**
   * @param {object} actions
   * @param {(body: string, kind: string) => Promise<string>} actions.send "sent", "refused" or "failed"
   * @param {(query: string) => Promise<object[]>} actions.searchCanned
   */
  constructor(actions) {
    this.actions = actions;
    this.windowClosed = false;
    this.sending = false;
    this.suggestions = [];
    this.active = -1;
    this.token = null;
    this.asked = 0;
    const id = `reply-${++boxes}`;
    this.list = h("ul", {
      class: "suggestions",
      role: "listbox",
      id: `${id}-canned`,
      "aria-label": TI.cannedResponses,
      hidden: true,
    });
    this.text = h("textarea", {
      id: `${id}-text`,
      name: "body",
      rows: "3",
      "aria-label": TI.reply,
      placeholder: TI.replyPlaceholder,
      "aria-autocomplete": "list",
      "aria-controls": this.list.id,
      "aria-expanded": "false",
      oninput: () => this.typed(),
      onclick: () => this.typed(),
      onkeydown: (event) => this.key(event),
      onblur: () => setTimeout(() => this.close(), 150),
    });
    this.note = h("input", { type: "checkbox", name: "note", onchange: () => this.modeChanged() });
    this.button = h("button", { type: "submit", class: "primary send" }, TI.send);
    this.element = h(
      "form",
      { class: "reply-box", "aria-label": TI.reply, onsubmit: (event) => this.submit(event) },
      this.list,
      this.text,
      h(
        "div",
        { class: "reply-tools" },
        h("label", { class: "note-toggle" }, this.note, " ", TI.note),
        h("span", { class: "spacer" }),
        this.button,
      ),
    );
  }

  get kind() {
    return this.note.checked ? "NOTE" : "TEXT";
  }

  setWindowClosed(closed) {
    this.windowClosed = closed;
    this.modeChanged();
  }

  modeChanged() {
    const note = this.note.checked;
    this.element.classList.toggle("note-mode", note);
    this.text.placeholder = note ? TI.notePlaceholder : TI.replyPlaceholder;
    if (!this.sending) this.button.textContent = note ? TI.addNote : TI.send;
    // Outside the window only a note (or a template) may go.
    this.button.disabled = this.sending || (this.windowClosed && !note);
  }

  async submit(event) {
    event.preventDefault();
    const body = this.text.value.trim();
    if (!body || this.sending || (this.windowClosed && !this.note.checked)) return;
    this.sending = true;
    this.button.disabled = true;
    this.button.textContent = TI.sending;
    let result = "failed";
    try {
      result = await this.actions.send(body, this.kind);
    } finally {
      this.sending = false;
      if (result === "sent" && this.text.value.trim() === body) this.text.value = "";
      this.modeChanged();
      this.text.focus();
    }
  }

  // -- canned responses ------------------------------------------------

  typed() {
    const token = slashToken(this.text.value, this.text.selectionStart);
    this.token = token;
    clearTimeout(this.suggestTimer);
    if (!token) return this.close();
    this.suggestTimer = setTimeout(() => this.suggest(token.query), SUGGEST_DELAY_MS);
  }

  async suggest(query) {
    const asked = ++this.asked;
    let found = [];
    try {
      found = await this.actions.searchCanned(query);
    } catch {
      found = [];
    }
    if (asked !== this.asked || !this.token) return;
    this.suggestions = found.slice(0, MAX_SUGGESTIONS);
    this.active = this.suggestions.length ? 0 : -1;
    this.show();
  }

  show() {
    const options = this.suggestions.map((canned, index) =>
      h(
        "li",
        {
          id: `${this.list.id}-${index}`,
          role: "option",
          class: "suggestion",
          "aria-selected": String(index === this.active),
          onmousedown: (event) => {
            event.preventDefault();
            this.choose(index);
          },
        },
        h("span", { class: "short-code" }, `/${canned.shortCode}`),
        " ",
        h("span", { class: "canned-title" }, canned.title),
      ),
    );
    if (!options.length) options.push(h("li", { class: "suggestion empty-suggestion" }, TI.noCanned));
    this.list.replaceChildren(...options);
    this.list.hidden = false;
    this.text.setAttribute("aria-expanded", "true");
    if (this.active >= 0) this.text.setAttribute("aria-activedescendant", `${this.list.id}-${this.active}`);
    else this.text.removeAttribute("aria-activedescendant");
  }

  close() {
    this.suggestions = [];
    this.active = -1;
    this.list.hidden = true;
    this.text.setAttribute("aria-expanded", "false");
    this.text.removeAttribute("aria-activedescendant");
  }

  choose(index) {
    const canned = this.suggestions[index];
    const token = slashToken(this.text.value, this.text.selectionStart) || this.token;
    if (!canned || !token) return;
    const { text, caret } = insertCanned(this.text.value, token, canned.body);
    this.text.value = text;
    this.text.focus();
    this.text.setSelectionRange(caret, caret);
    this.token = null;
    this.close();
  }

  key(event) {
    const open = !this.list.hidden && this.suggestions.length > 0;
    if (open && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.suggestions.length) % this.suggestions.length;
      this.show();
    } else if (open && (event.key === "Enter" || event.key === "Tab")) {
      event.preventDefault();
      this.choose(this.active);
    } else if (!this.list.hidden && event.key === "Escape") {
      event.preventDefault();
      this.close();
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.element.requestSubmit();
    }
  }
}
