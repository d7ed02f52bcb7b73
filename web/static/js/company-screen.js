// The company's page (#/empresa/<id>): its data and custom fields
// (editable in place), its contacts and deals. "#/empresa/nova" creates one.

import { gql } from "./api.js";
import { NEW_RECORD } from "./contact-screen.js";
import { h } from "./dom.js";
import { T } from "./labels.js";
import { COMPANY_PAGE, CREATE_COMPANY, DEFINITIONS, UPDATE_COMPANY } from "./record-documents.js";
import { dateTime } from "./record-format.js";
import { customFieldText, recordForm } from "./record-forms.js";
import { R } from "./record-labels.js";
import { contactRow, dealRow, editablePanel, facts, loadChoices, nodes, panel, rows } from "./record-page.js";
import { companyInput, companySpecs } from "./record-specs.js";
import { recordHash } from "./routes.js";

export class CompanyScreen {
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
    document.title = `${R.newCompany} · ${T.appName}`;
    const [choices, data] = await Promise.all([loadChoices(), gql(DEFINITIONS, { entity: "COMPANY" })]);
    if (this.stopped) return;
    const definitions = data.customFieldDefinitions;
    const form = recordForm({
      label: R.newCompany,
      fields: companySpecs({ owner: this.shell.me.me }, choices, definitions),
      submitLabel: R.create,
      onSubmit: async (values) => {
        const payload = (await gql(CREATE_COMPANY, { input: companyInput(values, definitions) })).createCompany;
        if (!payload.userErrors.length) location.hash = recordHash("company", payload.company.id);
        return payload.userErrors;
      },
      onCancel: () => history.back(),
    });
    this.shell.root.replaceChildren(h("div", { class: "record-page" }, h("h1", {}, R.newCompany), h("div", { class: "panel" }, form)));
    form.focusFirst();
  }

  async load(id) {
    const [data, choices] = await Promise.all([gql(COMPANY_PAGE, { id }), loadChoices()]);
    if (this.stopped) return;
    const company = data.company;
    if (!company) {
      this.shell.root.replaceChildren(h("p", { class: "empty" }, R.notFound));
      return;
    }
    document.title = `${company.name} · ${T.appName}`;
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
          onSubmit: async (values) => {
            const input = companyInput(values, definitions, company);
            if (!Object.keys(input).length) return close();
            const payload = (await gql(UPDATE_COMPANY, { id, input })).updateCompany;
            if (payload.userErrors.length) return payload.userErrors;
            this.shell.notify(R.saved);
            await this.load(id);
            return [];
          },
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
