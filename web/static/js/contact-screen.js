// The contact's 360° page (#/contato/<id>): its data and custom fields
// (editable in place), deals, open tasks (completed where they are),
// conversations, and the timeline with the note box. "#/contato/novo"
// creates one.

import { gql } from "./api.js";
import { h } from "./dom.js";
import { T } from "./labels.js";
import { CONTACT_PAGE, CONTACT_TIMELINE, CREATE_CONTACT, CREATE_DEAL, CREATE_TASK, DEFINITIONS, UPDATE_CONTACT } from "./record-documents.js";
import { dateTime, phone } from "./record-format.js";
import { customFieldText, recordForm } from "./record-forms.js";
import { CONVERSATION_STATUS, LIFECYCLE, R } from "./record-labels.js";
import { dealRow, editablePanel, facts, formOpener, loadChoices, nodes, panel, rows } from "./record-page.js";
import { contactInput, contactSpecs, dealInput, dealProblems, dealSpecs, taskInput, taskSpecs } from "./record-specs.js";
import { recordHash, routeHash } from "./routes.js";
import { doneTaskList, taskList } from "./task-list.js";
import { TimelinePanel } from "./timeline-view.js";

export const NEW_RECORD = new Set(["novo", "nova"]);

export class ContactScreen {
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

  async show(where) {
    this.shell.root.replaceChildren(h("p", { class: "empty" }, T.loading));
    try {
      if (!where.id || NEW_RECORD.has(where.id)) await this.creating();
      else await this.load(where.id);
    } catch (error) {
      this.shell.failed(error);
    }
  }

  async creating() {
    document.title = `${R.newContact} · ${T.appName}`;
    const [choices, definitions] = await Promise.all([loadChoices(), this.definitions()]);
    if (this.stopped) return;
    const form = recordForm({
      label: R.newContact,
      fields: contactSpecs({ owner: this.shell.me.me }, choices, definitions),
      submitLabel: R.create,
      onSubmit: async (values) => {
        const payload = (await gql(CREATE_CONTACT, { input: contactInput(values, definitions) })).createContact;
        if (!payload.userErrors.length) location.hash = recordHash("contact", payload.contact.id);
        return payload.userErrors;
      },
      onCancel: () => history.back(),
    });
    this.shell.root.replaceChildren(h("div", { class: "record-page" }, h("h1", {}, R.newContact), h("div", { class: "panel" }, form)));
    form.focusFirst();
  }

  async definitions() {
    return (await gql(DEFINITIONS, { entity: "CONTACT" })).customFieldDefinitions;
  }

  async load(id) {
    const [data, choices] = await Promise.all([gql(CONTACT_PAGE, { id }), loadChoices()]);
    if (this.stopped) return;
    const contact = data.contact;
    if (!contact) {
      this.shell.root.replaceChildren(h("p", { class: "empty" }, R.notFound));
      return;
    }
    document.title = `${contact.name} · ${T.appName}`;
    const reload = () => this.load(id);
    const definitions = data.customFieldDefinitions;
    const zone = this.zone;

    const details = editablePanel(
      R.details,
      () =>
        facts([
          [R.email, contact.email],
          [R.phone, contact.phone ? phone(contact.phone) : null],
          [R.company, contact.company ? h("a", { href: recordHash("company", contact.company.id) }, contact.company.name) : null],
          [R.owner, contact.owner ? contact.owner.name : null],
          [R.lifecycleStage, LIFECYCLE[contact.lifecycleStage]],
          [R.tags, contact.tags.join(", ")],
          [R.source, contact.source],
          [R.score, String(contact.score)],
          [R.createdAt, dateTime(contact.createdAt, zone)],
          ...definitions.map((d) => [d.label, customFieldText(d, (contact.customFields || {})[d.key])]),
        ]),
      (close) =>
        recordForm({
          label: `${R.edit}: ${contact.name}`,
          fields: contactSpecs(contact, choices, definitions),
          onSubmit: async (values) => {
            const input = contactInput(values, definitions, contact);
            if (!Object.keys(input).length) return close();
            const payload = (await gql(UPDATE_CONTACT, { id, input })).updateContact;
            if (payload.userErrors.length) return payload.userErrors;
            this.shell.notify(R.saved);
            await reload();
            return [];
          },
          onCancel: close,
        }),
    );

    const deals = nodes(contact.deals);
    const dealsPanel = panel(
      R.deals,
      rows(deals, dealRow, R.noDeals, R.deals),
      formOpener(R.newDeal, (close) =>
        recordForm({
          label: R.newDeal,
          fields: dealSpecs({ contact, company: contact.company, owner: this.shell.me.me }, choices, data.dealFields, zone),
          submitLabel: R.create,
          onSubmit: async (values) => {
            const problems = dealProblems(values);
            if (problems.length) return problems;
            const input = dealInput(values, data.dealFields, zone, { customFields: {} });
            const payload = (await gql(CREATE_DEAL, { input })).createDeal;
            if (payload.userErrors.length) return payload.userErrors;
            location.hash = recordHash("deal", payload.deal.id);
            return [];
          },
          onCancel: close,
        }),
      ),
    );

    const allTasks = nodes(contact.tasks);
    const open = allTasks.filter((task) => !task.done);
    const tasksPanel = panel(
      R.tasks,
      taskList(open, { zone, shell: this.shell, label: R.openTasks, showSubject: false, choices }),
      doneTaskList(
        allTasks.filter((task) => task.done),
        { shell: this.shell, onReopened: () => reload() },
      ),
      formOpener(R.newTask, (close) =>
        recordForm({
          label: R.newTask,
          fields: taskSpecs(choices, this.shell.me.me),
          submitLabel: R.create,
          onSubmit: async (values) => {
            const payload = (await gql(CREATE_TASK, { input: taskInput(values, zone, { contactId: id }) })).createTask;
            if (payload.userErrors.length) return payload.userErrors;
            await reload();
            return [];
          },
          onCancel: close,
        }),
      ),
    );

    const conversations = nodes(data.conversations);
    const conversationsPanel = panel(
      R.conversations,
      rows(
        conversations,
        (c) =>
          h(
            "li",
            { class: "record-row" },
            h("a", { href: routeHash("inbox", c.id) }, `#${c.number} · ${c.inbox.name}`),
            h("span", { class: "row-meta" }, `${CONVERSATION_STATUS[c.status] || c.status} · ${dateTime(c.lastMessageAt, zone)}`),
          ),
        R.noConversations,
        R.conversations,
      ),
    );

    const timeline = new TimelinePanel({ subjectId: id, query: CONTACT_TIMELINE, zone, shell: this.shell });
    const header = h(
      "header",
      { class: "record-header" },
      h("h1", {}, contact.name),
      h(
        "p",
        { class: "record-sub" },
        h("span", {}, `${R.contact} #${contact.number}`),
        h("span", { class: "badge" }, LIFECYCLE[contact.lifecycleStage]),
        contact.deletedAt ? h("span", { class: "badge lost" }, R.trashed) : null,
      ),
    );
    this.shell.root.replaceChildren(
      h(
        "div",
        { class: "record-page", dataset: { contactId: id } },
        header,
        h("div", { class: "record-columns" }, h("div", { class: "record-main" }, details, dealsPanel, tasksPanel), h("div", { class: "record-side" }, timeline.element, conversationsPanel)),
      ),
    );
    await timeline.reload();
  }
}
