// What the contact's, the company's and the deal's pages share: the screen's
// life (start, stop, a loading line while the first answer is on its way),
// "#/contato/novo"-style addresses that open the creation form instead of a
// record, fetching a record with the forms' pick lists, saving an edit and
// the "Nova tarefa" form. Each page extends RecordScreen with its `load(id)`
// (and, where a record can be created from its page, `newRecord`).

import { gql } from "./api.js";
import { h } from "./dom.js";
import { T } from "./labels.js";
import { CREATE_TASK, DEFINITIONS } from "./record-documents.js";
import { recordForm } from "./record-forms.js";
import { R } from "./record-labels.js";
import { formOpener, loadChoices, panel } from "./record-page.js";
import { taskInput, taskSpecs } from "./record-specs.js";
import { recordHash } from "./routes.js";
import { doneTaskList, taskList } from "./task-list.js";

// The last part of an address that means "a new one" rather than an id.
export const NEW_RECORD = new Set(["novo", "nova"]);

export class RecordScreen {
  constructor(shell) {
    this.shell = shell;
    this.zone = shell.me.workspace.timezone;
  }

  start(where) {
    return this.show(where);
  }

  stop() {
    this.stopped = true;
  }

  /**
   * What creating one from this page takes, or null when the page cannot:
   * { title, entity (of its custom fields), kind ("contact"), specs(record,
   * choices, definitions), input(values, definitions), mutation, field }.
   */
  get newRecord() {
    return null;
  }

  async show(where) {
    this.shell.root.replaceChildren(h("p", { class: "empty" }, T.loading));
    try {
      const creation = this.newRecord;
      if (creation && (!where.id || NEW_RECORD.has(where.id))) await this.creating(creation);
      else await this.load(where.id);
    } catch (error) {
      this.shell.failed(error);
    }
  }

  /** The creation form, alone on the page; a created record opens its own page. */
  async creating(creation) {
    document.title = `${creation.title} · ${T.appName}`;
    const [choices, data] = await Promise.all([loadChoices(), gql(DEFINITIONS, { entity: creation.entity })]);
    if (this.stopped) return;
    const definitions = data.customFieldDefinitions;
    const form = recordForm({
      label: creation.title,
      fields: creation.specs({ owner: this.shell.me.me }, choices, definitions),
      submitLabel: R.create,
      onSubmit: async (values) => {
        const payload = (await gql(creation.mutation, { input: creation.input(values, definitions) }))[creation.field];
        if (!payload.userErrors.length) location.hash = recordHash(creation.kind, payload[creation.kind].id);
        return payload.userErrors;
      },
      onCancel: () => history.back(),
    });
    this.shell.root.replaceChildren(h("div", { class: "record-page" }, h("h1", {}, creation.title), h("div", { class: "panel" }, form)));
    form.focusFirst();
  }

  /**
   * The page's document for `id` (its record under `field`) and the pick
   * lists, with the window's title set from `title(record)`; null when the
   * screen was left meanwhile or the record is not there (the page says so).
   */
  async fetchRecord(query, id, field, title) {
    const [data, choices] = await Promise.all([gql(query, { id }), loadChoices()]);
    if (this.stopped) return null;
    const record = data[field];
    if (!record) {
      this.shell.root.replaceChildren(h("p", { class: "empty" }, R.notFound));
      return null;
    }
    document.title = `${title(record)} · ${T.appName}`;
    return { data, choices, record };
  }

  /**
   * An edit form's submit: nothing changed closes the form; otherwise
   * `send(input)` answers the mutation's payload, whose userErrors go back
   * to the form, or the page says "Salvo" and is drawn again.
   */
  async saveEdit(id, input, close, send) {
    if (!Object.keys(input).length) return close();
    const payload = await send(input);
    if (payload.userErrors.length) return payload.userErrors;
    this.shell.notify(R.saved);
    await this.load(id);
    return [];
  }

  /** "Nova tarefa": a task about `about` ({contactId, dealId}); the page is drawn again with it. */
  taskOpener(id, choices, about) {
    return formOpener(R.newTask, (close) =>
      recordForm({
        label: R.newTask,
        fields: taskSpecs(choices, this.shell.me.me),
        submitLabel: R.create,
        onSubmit: async (values) => {
          const payload = (await gql(CREATE_TASK, { input: taskInput(values, this.zone, about) })).createTask;
          if (payload.userErrors.length) return payload.userErrors;
          await this.load(id);
          return [];
        },
        onCancel: close,
      }),
    );
  }

  /**
   * The record's tasks: the open ones (completed or edited in their row: the
   * timeline and the "N concluídas" fold follow at once), the done ones
   * (reopened: the page is drawn again), and "Nova tarefa" about `about`.
   */
  tasksPanel(id, tasks, { choices, timeline, about }) {
    const done = tasks.filter((task) => task.done);
    const doneSlot = h("div", { class: "done-slot" });
    const drawDone = () =>
      doneSlot.replaceChildren(...[doneTaskList(done, { shell: this.shell, onReopened: () => this.load(id) })].filter(Boolean));
    drawDone();
    const open = taskList(
      tasks.filter((task) => !task.done),
      {
        zone: this.zone,
        shell: this.shell,
        label: R.openTasks,
        showSubject: false,
        choices,
        onCompleted: (task) => {
          done.unshift({ ...task, done: true });
          drawDone();
          timeline.reload();
        },
        onChanged: () => timeline.reload(),
      },
    );
    return panel(R.tasks, open, doneSlot, this.taskOpener(id, choices, about));
  }
}
