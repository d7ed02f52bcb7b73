// The deal's page (#/negocio/<id>): its data and custom fields (editable in
// place, with the deal's version so a concurrent change is refused, not
// overwritten), its contact and company, open tasks, and the timeline with
// the note box.

import { gql } from "./api.js";
import { h } from "./dom.js";
import { money } from "./labels.js";
import { DEAL_PAGE, DEAL_TIMELINE, UPDATE_DEAL } from "./record-documents.js";
import { dateOnly, dateTime, phone } from "./record-format.js";
import { customFieldText, recordForm } from "./record-forms.js";
import { DEAL_STATUS, R } from "./record-labels.js";
import { editablePanel, facts, nodes } from "./record-page.js";
import { RecordScreen } from "./record-screen.js";
import { dealInput, dealProblems, dealSpecs } from "./record-specs.js";
import { recordHash } from "./routes.js";
import { TimelinePanel } from "./timeline-view.js";

export class DealScreen extends RecordScreen {
  async load(id) {
    const found = await this.fetchRecord(DEAL_PAGE, id, "deal", (deal) => deal.title);
    if (!found) return;
    const { data, choices, record: deal } = found;
    const zone = this.zone;
    const definitions = data.customFieldDefinitions;
    const link = (screen, record, text) => (record ? h("a", { href: recordHash(screen, record.id) }, text) : null);

    const details = editablePanel(
      R.details,
      () =>
        facts([
          [R.value, deal.value === null ? null : money(deal.value, deal.currency)],
          [R.pipeline, deal.pipeline.name],
          [R.stage, deal.stage.name],
          [R.status, DEAL_STATUS[deal.status]],
          [R.expectedCloseDate, deal.expectedCloseDate ? dateOnly(deal.expectedCloseDate, zone) : null],
          [R.contact, link("contact", deal.contact, deal.contact && deal.contact.name)],
          [R.phone, deal.contact && deal.contact.phone ? phone(deal.contact.phone) : null],
          [R.company, link("company", deal.company, deal.company && deal.company.name)],
          [R.owner, deal.owner ? deal.owner.name : null],
          [R.development, deal.development ? deal.development.name : null],
          [R.lostReason, deal.lostReason],
          [R.createdAt, dateTime(deal.createdAt, zone)],
          ...definitions.map((d) => [d.label, customFieldText(d, (deal.customFields || {})[d.key])]),
        ]),
      (close) =>
        recordForm({
          label: `${R.edit}: ${deal.title}`,
          fields: dealSpecs(deal, choices, definitions, zone),
          onSubmit: async (values) => {
            const problems = dealProblems(values);
            if (problems.length) return problems;
            const input = dealInput(values, definitions, zone, deal);
            return this.saveEdit(id, input, close, async (changes) => (await gql(UPDATE_DEAL, { id, input: changes, expectedVersion: deal.version })).updateDeal);
          },
          onCancel: close,
        }),
    );

    const timeline = new TimelinePanel({ subjectId: id, query: DEAL_TIMELINE, zone, shell: this.shell });
    const about = { dealId: id, contactId: deal.contact ? deal.contact.id : null };
    const tasksPanel = this.tasksPanel(id, nodes(data.tasks), { choices, timeline, about });

    const header = h(
      "header",
      { class: "record-header" },
      h("h1", {}, deal.title),
      h(
        "p",
        { class: "record-sub" },
        h("span", {}, `${R.deal} #${deal.number}`),
        h("span", { class: `badge ${deal.status.toLowerCase()}` }, DEAL_STATUS[deal.status]),
        h("span", {}, `${deal.pipeline.name} › ${deal.stage.name}`),
        deal.deletedAt ? h("span", { class: "badge lost" }, R.trashed) : null,
      ),
    );
    this.shell.root.replaceChildren(
      h(
        "div",
        { class: "record-page", dataset: { dealId: id } },
        header,
        h("div", { class: "record-columns" }, h("div", { class: "record-main" }, details, tasksPanel), h("div", { class: "record-side" }, timeline.element)),
      ),
    );
    await timeline.reload();
  }
}


