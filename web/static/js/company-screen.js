// The company's page (#/empresa/<id>): its data and custom fields
// (editable in place), its contacts and deals. "#/empresa/nova" creates one.

import { gql } from "./api.js";
import { h } from "./dom.js";
import { COMPANY_PAGE, CREATE_COMPANY, UPDATE_COMPANY } from "./record-documents.js";
import { dateTime } from "./record-format.js";
import { customFieldText, recordForm } from "./record-forms.js";
import { R } from "./record-labels.js";
import { contactRow, dealRow, editablePanel, facts, nodes, panel, rows } from "./record-page.js";
import { RecordScreen } from "./record-screen.js";
import { companyInput, companySpecs } from "./record-specs.js";

export class CompanyScreen extends RecordScreen {
  get newRecord() {
    return {
      title: R.newCompany,
      entity: "COMPANY",
      kind: "company",
      specs: companySpecs,
      input: companyInput,
      mutation: CREATE_COMPANY,
      field: "createCompany",
    };
  }

  async load(id) {
    const found = await this.fetchRecord(COMPANY_PAGE, id, "company", (company) => company.name);
    if (!found) return;
    const { data, choices, record: company } = found;
    const definitions = data.customFieldDefinitions;
    const details = editablePanel(
      R.details,
      () =>
        facts([
          [R.domain, company.domain],
          [R.owner, company.owner ? company.owner.name : null],
          [R.createdAt, dateTime(company.createdAt, this.zone)],
          ...definitions.map((d) => [d.label, customFieldText(d, (company.customFields || {})[d.key])]),
        ]),
      (close) =>
        recordForm({
          label: `${R.edit}: ${company.name}`,
          fields: companySpecs(company, choices, definitions),
          onSubmit: (values) =>
            this.saveEdit(id, companyInput(values, definitions, company), close, async (input) => (await gql(UPDATE_COMPANY, { id, input })).updateCompany),
          onCancel: close,
        }),
    );
    this.shell.root.replaceChildren(
      h(
        "div",
        { class: "record-page", dataset: { companyId: id } },
        h("header", { class: "record-header" }, h("h1", {}, company.name), h("p", { class: "record-sub" }, R.company)),
        h(
          "div",
          { class: "record-columns" },
          h("div", { class: "record-main" }, details),
          h(
            "div",
            { class: "record-side" },
            panel(R.contactsOfCompany, rows(nodes(company.contacts), contactRow, R.noContacts, R.contactsOfCompany)),
            panel(R.deals, rows(nodes(company.deals), dealRow, R.noDeals, R.deals)),
          ),
        ),
      ),
    );
  }
}
