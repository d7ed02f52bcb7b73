// A list of tasks that can be completed where they are shown: ticking the
// box calls completeTask, and the task leaves the list once the server
// says it is done (My day, and the contact and deal pages).

import { gql } from "./api.js";
import { h } from "./dom.js";
import { dateTime, dueState } from "./record-format.js";
import { COMPLETE_TASK } from "./record-documents.js";
import { R } from "./record-labels.js";
import { recordHash } from "./routes.js";

/** The task's subject as links to its pages (contact, deal). */
function subject(task) {
  const links = [];
  if (task.contact) links.push(h("a", { href: recordHash("contact", task.contact.id) }, task.contact.name));
  if (task.deal) links.push(h("a", { href: recordHash("deal", task.deal.id) }, task.deal.title));
  return links.length ? h("span", { class: "task-subject" }, links.flatMap((link, i) => (i ? [" · ", link] : [link]))) : null;
}

/**
 * An <ul> of open tasks. `options.onCompleted(task)` runs after the server
 * completed one (its row is gone by then); `options.empty` is the text of
 * an empty list.
 */
export function taskList(tasks, { zone, shell, empty = R.noTasks, label, onCompleted = () => {}, showSubject = true }) {
  const list = h("ul", { class: "task-list", "aria-label": label });
  const emptyText = h("p", { class: "muted" }, empty);
  const refreshEmpty = () => {
    emptyText.hidden = list.children.length > 0;
  };
  const now = new Date();
  for (const task of tasks) {
    const box = h("input", { type: "checkbox", "aria-label": R.complete(task.title) });
    const state = dueState(task.dueAt, now, zone);
    const row = h(
      "li",
      { class: `task-row due-${state}`, dataset: { taskId: task.id } },
      box,
      h(
        "div",
        { class: "task-text" },
        h("span", { class: "task-title" }, task.title),
        h(
          "span",
          { class: "task-meta" },
          h("span", { class: "task-due" }, task.dueAt ? dateTime(task.dueAt, zone) : R.noDue),
          state === "overdue" ? h("span", { class: "badge overdue" }, R.overdue) : null,
          task.assignee ? h("span", { class: "task-assignee" }, task.assignee.name) : null,
          showSubject ? subject(task) : null,
        ),
      ),
    );
    box.addEventListener("change", async () => {
      if (!box.checked) return;
      box.disabled = true;
      try {
        const payload = (await gql(COMPLETE_TASK, { id: task.id })).completeTask;
        if (payload.userErrors.length) {
          shell.notify(payload.userErrors.map((e) => e.message).join(" "));
          box.checked = false;
          box.disabled = false;
          return;
        }
        // Focus moves on to the next task (or the list's heading) so the
        // keyboard does not fall back to the top of the page.
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        refreshEmpty();
        if (next) next.querySelector("input").focus();
        shell.notify(R.completed(task.title));
        onCompleted(task);
      } catch (error) {
        box.checked = false;
        box.disabled = false;
        shell.failed(error);
      }
    });
    list.append(row);
  }
  refreshEmpty();
  return h("div", { class: "task-block" }, list, emptyText);
}
