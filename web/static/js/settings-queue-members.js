// Settings: the members of one roleta, changed inline — weight, capacity
// and "recebe leads" saved as soon as they change, a removal that asks
// first, someone added from the people the viewer may add — with each
// userError said next to its field. Who is online is shown beside the name.

import { h } from "./dom.js";
import { confirming } from "./settings-confirm.js";
import { ST } from "./settings-labels.js";
import { table } from "./settings-screen.js";
import { input, labelled, showProblems, submitting } from "./setup-forms.js";

const error = (name) => h("p", { class: "field-error", role: "alert", dataset: { errorFor: name } });

function presence(user) {
  return h(
    "span",
    { class: `presence ${user.online ? "online" : "offline"}`, title: user.online ? ST.onlineNow : ST.offline },
    user.online ? ST.online : ST.offlineMark,
  );
}

/** A number read from an input: "" is null (no limit). */
function number(control) {
  return control.value.trim() === "" ? null : Number(control.value);
}

/**
 * The members' table of `queue`. `send(input)` saves a member (setQueueMember),
 * `drop(member)` removes one (removeQueueMember); both resolve to the payload.
 */
export function membersTable(queue, { send, drop, general }) {
  // A manager who only tends the roleta loses it from view with the last of their people.
  const last = !queue.viewerRuns && queue.members.filter((m) => m.viewerCanChange).length === 1;
  const rows = queue.members.map((member) => memberRow(queue, member, { send, drop, general, last }));
  const drawn = table(
    ST.membersOf(queue.name),
    [ST.person, ST.weight, ST.capacity, ST.receivesLeads, ""],
    rows.map((row) => row.cells),
  );
  drawn.querySelectorAll("tbody tr").forEach((tr, index) => rows[index].wire(tr));
  return drawn;
}

function memberRow(queue, member, { send, drop, general, last }) {
  const who = ST.memberIn(member.user.name, queue.name);
  const name = h("span", { class: "member-name" }, member.user.name, " ", presence(member.user));
  if (!member.viewerCanChange) {
    const cap = member.capacity === null ? ST.noLimit : String(member.capacity);
    return { cells: [name, String(member.weight), cap, member.active ? ST.yes : ST.paused, ""], wire: () => {} };
  }
  const weight = input("weight", {
    type: "number",
    min: 1,
    max: 1000,
    value: member.weight,
    "aria-label": ST.weightOf(who),
  });
  const capacity = input("capacity", {
    type: "number",
    min: 0,
    value: member.capacity ?? "",
    placeholder: ST.noLimit,
    "aria-label": ST.capacityOf(who),
  });
  const active = input("active", { type: "checkbox", checked: member.active, "aria-label": ST.receivesLeadsOf(who) });
  let row = null;
  const save = async (control) => {
    control.disabled = true;
    const values = { weight: number(weight), capacity: number(capacity), active: active.checked };
    const payload = await send({ userId: member.user.id, ...values });
    showProblems(row, general, payload.userErrors);
    // A refused switch goes back to what the server holds; a refused number stays, to be corrected.
    if (payload.userErrors.length && control === active) active.checked = member.active;
    control.disabled = false;
  };
  for (const control of [weight, capacity, active]) control.addEventListener("change", () => save(control));
  const question = ST.removeQuestion(member.user.name, last ? ST.lastOfYourTeams : "");
  const remove = confirming(ST.remove, question, ST.confirmRemoval, async () => {
    showProblems(row, general, (await drop(member)).userErrors);
  }, { "aria-label": ST.removeNamed(who) });
  return {
    cells: [
      name,
      h("span", {}, weight, error("weight")),
      h("span", {}, capacity, error("capacity")),
      h("label", { class: "check" }, active, ` ${member.active ? ST.yes : ST.paused}`, error("active")),
      h("span", {}, remove, error("userId")),
    ],
    wire: (tr) => (row = tr),
  };
}

/** The form that adds one of `candidates` (those not yet members) to the queue. */
export function addMemberForm(queue, candidates, send) {
  const inside = new Set(queue.members.map((m) => m.user.id));
  const outside = candidates.filter((user) => !inside.has(user.id));
  if (!outside.length) return null;
  const who = h(
    "select",
    { name: "userId", required: true },
    h("option", { value: "" }, ST.choosePerson),
    outside.map((user) => h("option", { value: user.id }, user.name)),
  );
  const general = h("p", { class: "field-error", role: "alert" });
  const form = h(
    "form",
    { class: "setup-form inline-form", "aria-label": ST.addToQueue(queue.name) },
    labelled(ST.addPerson, who),
    labelled(ST.weight, input("weight", { type: "number", min: 1, max: 1000, value: 1 })),
    labelled(ST.capacity, input("capacity", { type: "number", min: 0, placeholder: ST.noLimit })),
    h("button", { type: "submit" }, ST.add),
    general,
  );
  submitting(form, general, {
    busy: ST.adding,
    send: (data) =>
      send({
        userId: data.get("userId"),
        weight: Number(data.get("weight") || 1),
        capacity: data.get("capacity") === "" ? null : Number(data.get("capacity")),
      }),
    done: async () => {},
  });
  return form;
}
