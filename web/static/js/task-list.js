// A list of tasks that can be completed and edited where they are shown
// (and, folded under it, the done ones, which can be reopened):
// ticking the box calls completeTask, and the task leaves the list once the
// server says it is done; "Editar" opens the task's form (the one that
// creates tasks, filled in) in its row, and updateTask's answer redraws the
// row (My day, and the contact and deal pages).

import { gql } from "./api.js";
import { h } from "./dom.js";
import { recordForm } from "./record-forms.js";
import { dateTime, dueState } from "./record-format.js";
import { COMPLETE_TASK, REOPEN_TASK, UPDATE_TASK } from "./record-documents.js";
import { R } from "./record-labels.js";
import { loadChoices } from "./record-page.js";
import { taskChanges, taskSpecs } from "./record-specs.js";
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
 * an empty list; `options.choices` (the users to assign to) is loaded on
 * the first "Editar" when not given; `options.onChanged(task)` runs after
 * an edit was saved (its row is redrawn by then).
 */
export function taskList(tasks, { zone, shell, empty = R.noTasks, label, onCompleted = () => {}, onChanged = () => {}, showSubject = true, choices = null }) {
  const list = h("ul", { class: "task-list", "aria-label": label });
  const emptyText = h("p", { class: "muted" }, empty);
  const refreshEmpty = () => {
    emptyText.hidden = list.children.length > 0;
  };
  let loading = null;
  const users = () => {
    if (choices) return Promise.resolve(choices);
    loading = loading || loadChoices();
    return loading;
  };

  function row(task) {
    const box = h("input", { type: "checkbox", "aria-label": R.complete(task.title) });
    const edit = h("button", { type: "button", class: "link task-edit", "aria-label": R.editTask(task.title) }, R.edit);
    const slot = h("div", { class: "task-form" });
    const state = dueState(task.dueAt, new Date(), zone);
    const item = h(
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
        slot,
      ),
      edit,
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
        const next = item.nextElementSibling || item.previousElementSibling;
        item.remove();
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
    edit.addEventListener("click", async () => {
      edit.disabled = true;
      let loaded;
      try {
        loaded = await users();
      } catch (error) {
        edit.disabled = false;
        loading = null;
        return shell.failed(error);
      }
      const close = () => {
        slot.replaceChildren();
        edit.hidden = false;
        edit.disabled = false;
        edit.focus();
      };
      const form = recordForm({
        label: R.editTask(task.title),
        fields: taskSpecs(loaded, null, task, zone),
        onSubmit: async (values) => {
          const input = taskChanges(values, zone, task);
          if (!Object.keys(input).length) return close();
          const payload = (await gql(UPDATE_TASK, { id: task.id, input })).updateTask;
          if (payload.userErrors.length) return payload.userErrors;
          const changed = row(payload.task);
          item.replaceWith(changed);
          changed.querySelector(".task-edit").focus();
          shell.notify(R.taskSaved(payload.task.title));
          onChanged(payload.task);
          return [];
        },
        onCancel: close,
      });
      slot.replaceChildren(form);
      edit.hidden = true;
      form.focusFirst();
    });
    return item;
  }

  for (const task of tasks) list.append(row(task));
  refreshEmpty();
  return h("div", { class: "task-block" }, list, emptyText);
}

/**
 * The done tasks, folded ("N concluídas"), each with "Reabrir" (reopenTask);
 * `onReopened(task)` runs after the server reopened one. Null when none.
 */
export function doneTaskList(tasks, { shell, onReopened = () => {} }) {
  if (!tasks.length) return null;
  const list = h("ul", { class: "task-list done-tasks", "aria-label": R.doneTasks(tasks.length) });
  for (const task of tasks) {
    const reopen = h("button", { type: "button", class: "link", "aria-label": R.reopenTask(task.title) }, R.reopen);
    reopen.addEventListener("click", async () => {
      reopen.disabled = true;
      try {
        const payload = (await gql(REOPEN_TASK, { id: task.id })).reopenTask;
        if (payload.userErrors.length) {
          reopen.disabled = false;
          return shell.notify(payload.userErrors.map((e) => e.message).join(" "));
        }
        shell.notify(R.reopened(task.title));
        onReopened(task);
      } catch (error) {
        reopen.disabled = false;
        shell.failed(error);
      }
    });
    list.append(h("li", { class: "task-row", dataset: { taskId: task.id } }, h("div", { class: "task-text" }, h("span", { class: "task-title" }, task.title)), reopen));
  }
  return h("details", { class: "done-block" }, h("summary", { class: "muted" }, R.doneTasks(tasks.length)), list);
}
