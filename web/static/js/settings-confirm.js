// An action that asks before it happens (remove a member, archive a roleta
// or a form): the button turns into the question with "Confirmar" and
// "Cancelar" in its place, so nothing is lost to a stray click.

import { h } from "./dom.js";
import { ST } from "./settings-labels.js";

/** A button `label` that, once confirmed, awaits `action()`, then offers itself again. */
export function confirming(label, question, confirmLabel, action, attributes = {}) {
  const slot = h("span", { class: "confirming" });
  const ask = () => {
    const confirm = async () => {
      yes.disabled = true;
      no.disabled = true;
      await action();
      slot.replaceChildren(start);
    };
    const yes = h("button", { type: "button", class: "danger", onclick: confirm }, confirmLabel);
    const no = h("button", { type: "button", onclick: () => slot.replaceChildren(start) }, ST.cancel);
    slot.replaceChildren(h("span", { role: "alert" }, question), " ", yes, " ", no);
    yes.focus();
  };
  const start = h("button", { type: "button", ...attributes, onclick: ask }, label);
  slot.append(start);
  return slot;
}
