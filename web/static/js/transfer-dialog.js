// "Transferir": to a colleague or back through a queue, with a reason
// written in the thread. A modal dialog that answers with the choice.

import { h } from "./dom.js";
import { TI } from "./inbox-labels.js";

/**
 * @param {{users: {id: string, name: string, online: boolean}[], queues: {id: string, name: string}[]}} targets
 * @param {string | null} assigneeId who has it now (not offered)
 * @returns {Promise<{userId?: string, queueId?: string, reason: string | null} | null>}
 */
export function askTransfer(targets, assigneeId) {
  return new Promise((resolve) => {
    const people = targets.users.filter((user) => user.id !== assigneeId);
    const person = h(
      "select",
      { name: "userId", id: "transfer-user" },
      people.map((user) => h("option", { value: user.id }, user.online ? `${user.name} (${TI.online})` : user.name)),
    );
    const queue = h(
      "select",
      { name: "queueId", id: "transfer-queue" },
      targets.queues.map((q) => h("option", { value: q.id }, q.name)),
    );
    const choice = (value, label, checked, disabled) =>
      h(
        "label",
        { class: "transfer-choice" },
        h("input", { type: "radio", name: "to", value, checked, disabled, onchange: () => update() }),
        " ",
        label,
      );
    const reason = h("textarea", { name: "reason", id: "transfer-reason", rows: "2", maxlength: "500" });
    const form = h(
      "form",
      { method: "dialog", class: "transfer-form" },
      h("h2", {}, TI.transferTitle),
      h(
        "fieldset",
        {},
        h("legend", {}, TI.transfer),
        choice("user", TI.toPerson, people.length > 0, people.length === 0),
        choice("queue", TI.toQueue, people.length === 0, targets.queues.length === 0),
      ),
      h("label", { for: "transfer-user", class: "person-field" }, TI.person),
      person,
      h("label", { for: "transfer-queue", class: "queue-field" }, TI.queue),
      queue,
      h("label", { for: "transfer-reason" }, TI.reason),
      reason,
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "submit", value: "cancel", class: "link", formnovalidate: true }, TI.cancel),
        h("button", { type: "submit", value: "transfer", class: "primary" }, TI.transfer),
      ),
    );
    const dialog = h("dialog", { class: "transfer-dialog", "aria-label": TI.transferTitle }, form);
    const update = () => {
      const toUser = form.elements.to.value === "user";
      person.disabled = !toUser;
      queue.disabled = toUser;
    };
    dialog.addEventListener("close", () => {
      const answer = dialog.returnValue === "transfer";
      const toUser = form.elements.to.value === "user";
      dialog.remove();
      if (!answer) return resolve(null);
      const text = reason.value.trim() || null;
      resolve(toUser ? { userId: person.value, reason: text } : { queueId: queue.value, reason: text });
    });
    document.body.append(dialog);
    update();
    dialog.showModal();
    (people.length ? person : queue).focus();
  });
}
