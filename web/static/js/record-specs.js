// What each record's form asks (field specs) and how its answers become
// the mutation's input: contact, company, deal and task. An edit sends
// only what changed; a cleared field is sent as null.

import { dayInput, instantOf, localInput } from "./record-format.js";
import { changed, customFieldSpecs, customFieldsOf, decimalText } from "./record-forms.js";
import { LIFECYCLE, R } from "./record-labels.js";
import { options } from "./record-page.js";

const orNull = (text) => (text === "" ? null : text);
const tagList = (text) =>
  String(text || "")
    .split(",")
    .map((tag) => tag.trim())
    .filter(Boolean);

/** The values a form would show for a record (to compare answers with). */
function contactValues(contact) {
  return {
    name: contact.name || "",
    email: contact.email || "",
    phone: contact.phone || "",
    companyId: contact.company ? contact.company.id : "",
    ownerId: contact.owner ? contact.owner.id : "",
    lifecycleStage: contact.lifecycleStage || "LEAD",
    tags: (contact.tags || []).join(", "),
  };
}

export function contactSpecs(contact, choices, definitions) {
  const v = contactValues(contact);
  return [
    { name: "name", label: R.name, required: true, value: v.name },
    { name: "email", label: R.email, kind: "email", value: v.email },
    { name: "phone", label: R.phone, kind: "tel", value: v.phone },
    { name: "companyId", label: R.company, kind: "select", options: options(choices.companies, contact.company), value: v.companyId },
    { name: "ownerId", label: R.owner, kind: "select", options: options(choices.users, contact.owner), value: v.ownerId },
    {
      name: "lifecycleStage",
      label: R.lifecycleStage,
      kind: "select",
      options: Object.entries(LIFECYCLE).map(([value, label]) => ({ value, label })),
      value: v.lifecycleStage,
    },
    { name: "tags", label: R.tags, value: v.tags, hint: R.tagsHint },
    ...customFieldSpecs(definitions, contact.customFields || {}),
  ];
}

/** createContact's input, or (with `contact`) updateContact's: only the changes. */
export function contactInput(values, definitions, contact = null) {
  const basics = {
    name: values.name,
    email: values.email,
    phone: values.phone,
    companyId: values.companyId,
    ownerId: values.ownerId,
    lifecycleStage: values.lifecycleStage || "LEAD",
    tags: values.tags,
  };
  const delta = contact ? changed(basics, contactValues(contact)) : basics;
  const input = {};
  for (const [name, value] of Object.entries(delta)) {
    input[name] = name === "tags" ? tagList(value) : orNull(value);
  }
  if (!contact) for (const name of Object.keys(input)) if (input[name] === null || (name === "tags" && !input.tags.length)) delete input[name];
  const custom = customFieldsOf(values, definitions, contact ? contact.customFields || {} : {});
  if (!contact ? Object.keys(custom).length : JSON.stringify(custom) !== JSON.stringify(contact.customFields || {})) {
    input.customFields = custom;
  }
  return input;
}

function companyValues(company) {
  return { name: company.name || "", domain: company.domain || "", ownerId: company.owner ? company.owner.id : "" };
}

export function companySpecs(company, choices, definitions) {
  const v = companyValues(company);
  return [
    { name: "name", label: R.name, required: true, value: v.name },
    { name: "domain", label: R.domain, value: v.domain },
    { name: "ownerId", label: R.owner, kind: "select", options: options(choices.users, company.owner), value: v.ownerId },
    ...customFieldSpecs(definitions, company.customFields || {}),
  ];
}

export function companyInput(values, definitions, company = null) {
  const basics = { name: values.name, domain: values.domain, ownerId: values.ownerId };
  const delta = company ? changed(basics, companyValues(company)) : basics;
  const input = {};
  for (const [name, value] of Object.entries(delta)) if (company || value !== "") input[name] = orNull(value);
  const custom = customFieldsOf(values, definitions, company ? company.customFields || {} : {});
  if (!company ? Object.keys(custom).length : JSON.stringify(custom) !== JSON.stringify(company.customFields || {})) {
    input.customFields = custom;
  }
  return input;
}

function dealValues(deal, zone) {
  return {
    title: deal.title || "",
    value: deal.value ? String(deal.value).replace(".", ",") : "",
    expectedCloseDate: dayInput(deal.expectedCloseDate, zone),
    contactId: deal.contact ? deal.contact.id : "",
    companyId: deal.company ? deal.company.id : "",
    ownerId: deal.owner ? deal.owner.id : "",
  };
}

/** A new deal's form also asks where it starts: "Funil › Etapa". */
export function dealSpecs(deal, choices, definitions, zone) {
  const v = dealValues(deal, zone);
  const specs = [];
  if (!deal.id) {
    const stages = choices.pipelines.flatMap((pipeline) =>
      pipeline.stages
        .filter((stage) => stage.kind === "OPEN")
        .map((stage) => ({ value: `${pipeline.id}|${stage.id}`, label: `${pipeline.name} › ${stage.name}` })),
    );
    specs.push({ name: "stageId", label: `${R.pipeline} › ${R.stage}`, kind: "select", required: true, options: stages, value: stages.length ? stages[0].value : "" });
  }
  specs.push(
    { name: "title", label: R.title, required: true, value: v.title },
    { name: "value", label: `${R.value} (R$)`, kind: "decimal", value: v.value },
    { name: "expectedCloseDate", label: R.expectedCloseDate, kind: "date", value: v.expectedCloseDate },
    { name: "contactId", label: R.contact, kind: "select", options: options(choices.contacts, deal.contact), value: v.contactId },
    { name: "companyId", label: R.company, kind: "select", options: options(choices.companies, deal.company), value: v.companyId },
    { name: "ownerId", label: R.owner, kind: "select", options: options(choices.users, deal.owner), value: v.ownerId },
    ...customFieldSpecs(definitions, deal.customFields || {}),
  );
  return specs;
}

const DECIMAL = /^-?\d+(\.\d{1,2})?$/;

/**
 * What the server cannot say as a userError: a value that is not a number
 * fails the GraphQL Decimal type before any resolver runs. Said here, in the
 * same shape, so it shows next to the field.
 */
export function dealProblems(values) {
  const value = decimalText(values.value);
  if (value === null || DECIMAL.test(value)) return [];
  return [{ code: "INVALID", message: R.badMoney, field: ["input", "value"] }];
}

export function dealInput(values, definitions, zone, deal = null) {
  const basics = {
    title: values.title,
    value: values.value,
    expectedCloseDate: values.expectedCloseDate,
    contactId: values.contactId,
    companyId: values.companyId,
    ownerId: values.ownerId,
  };
  const delta = deal && deal.id ? changed(basics, dealValues(deal, zone)) : basics;
  const input = {};
  for (const [name, value] of Object.entries(delta)) {
    if (!deal.id && value === "") continue;
    if (name === "value") input.value = decimalText(value);
    else if (name === "expectedCloseDate") input.expectedCloseDate = instantOf(value, zone);
    else input[name] = orNull(value);
  }
  if (!deal.id) {
    const [pipelineId, stageId] = String(values.stageId || "|").split("|");
    input.pipelineId = pipelineId || null;
    input.stageId = stageId || null;
  }
  const custom = customFieldsOf(values, definitions, deal.customFields || {});
  if (JSON.stringify(custom) !== JSON.stringify(deal.customFields || {})) input.customFields = custom;
  return input;
}

/** The task form's fields: empty for a new task (assigned to me), or filled with `task`'s values to edit it. */
export function taskSpecs(choices, me, task = null, zone = null) {
  const assignee = task ? task.assignee : me;
  return [
    { name: "title", label: R.title, required: true, value: task ? task.title : "" },
    { name: "dueAt", label: R.dueAt, kind: "datetime", value: task ? localInput(task.dueAt, zone) : "" },
    { name: "assigneeId", label: R.assignee, kind: "select", options: options(choices.users, assignee), value: assignee ? assignee.id : "" },
  ];
}

/** updateTask's input: only what changed (a cleared due time is sent as null). */
export function taskChanges(values, zone, task) {
  const input = {};
  if (values.title !== task.title) input.title = values.title;
  if (values.dueAt !== localInput(task.dueAt, zone)) input.dueAt = values.dueAt ? instantOf(values.dueAt, zone) : null;
  if (values.assigneeId && values.assigneeId !== (task.assignee ? task.assignee.id : "")) input.assigneeId = values.assigneeId;
  return input;
}

export function taskInput(values, zone, about) {
  const input = { title: values.title, ...about };
  if (values.dueAt) input.dueAt = instantOf(values.dueAt, zone);
  if (values.assigneeId) input.assigneeId = values.assigneeId;
  return input;
}
