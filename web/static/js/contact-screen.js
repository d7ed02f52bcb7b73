// The contact's 360° page (#/contato/<id>): its data and custom fields
// (editable in place), deals, open tasks (completed where they are),
// conversations, and the timeline with the note box. "#/contato/novo"
// creates one.

import { gql } from "./api.js";
import { h } from "./dom.js";
import { CONTACT_PAGE, CONTACT_TIMELINE, CREATE_CONTACT, CREATE_DEAL, UPDATE_CONTACT } from "./record-documents.js";
import { dateTime, phone } from "./record-format.js";
import { customFieldText, recordForm } from "./record-forms.js";
import { CONVERSATION_STATUS, LIFECYCLE, R } from "./record-labels.js";
import { dealRow, editablePanel, facts, formOpener, nodes, panel, rows } from "./record-page.js";
import { RecordScreen } from "./record-screen.js";
import { contactInput, contactSpecs, dealInput, dealProblems, dealSpecs } from "./record-specs.js";
import { recordHash, routeHash } from "./routes.js";
import { TimelinePanel } from "./timeline-view.js";

export class ContactScreen extends RecordScreen {
  get newRecord() {
    return {
      title: R.newContact,
      entity: "CONTACT",
      kind: "contact",
      specs: contactSpecs,
      input: contactInput,
      mutation: CREATE_CONTACT,
      field: "createContact",
    };
  }

  async load(id) {
    const found = await this.fetchRecord(CONTACT_PAGE, id, "contact", (contact) => contact.name);
    if (!found) return;
    const { data, choices, record: contact } = found;
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
          onSubmit: (values) =>
            this.saveEdit(id, contactInput(values, definitions, contact), close, async (input) => (await gql(UPDATE_CONTACT, { id, input })).updateContact),
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
    const timeline = new TimelinePanel({ subjectId: id, query: CONTACT_TIMELINE, zone, shell: this.shell });
    const tasksPanel = this.tasksPanel(id, allTasks, { choices, timeline, about: { contactId: id } });

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
