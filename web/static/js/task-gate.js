// A stage that requires a scheduled task (Stage.requiresScheduledTask)
// refuses a move with RULE_VIOLATION, rule "stage.requires_scheduled_task"
// (UserError.rule), until the deal or its contact has an open task due in
// the future. Instead of leaving the user stuck, the gate
// offers the task in place: title, due date and time (in the workspace's
// zone, America/Sao_Paulo), assignee (me by default); createTask, then the
// move again.

import { gql } from "./api.js";
import { h } from "./dom.js";
import { CHOICES, CREATE_TASK } from "./documents.js";
import { T } from "./labels.js";

export const SCHEDULED_TASK_RULE = "stage.requires_scheduled_task";

/**
 * Whether a refused move waits only for a scheduled task: the server named
 * that rule (UserError.rule) and no other. A stage may also have an entry
 * condition (another RULE_VIOLATION): a task would not let that move in, so
 * then the refusal is shown as it is.
 */
export function needsScheduledTask(errors) {
  return errors.length > 0 && errors.every((error) => error.rule === SCHEDULED_TASK_RULE);
}

/** The zone's UTC offset in minutes at the instant `utcMillis`. */
function offsetMinutes(zone, utcMillis) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utcMillis));
  const get = (type) => Number(parts.find((part) => part.type === type).value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((asUtc - utcMillis) / 60000);
}

/** "2026-12-07T10:00" read as a wall-clock time in `zone` -> ISO 8601 in UTC. */
export function zonedToIso(local, zone) {
  const [date, time] = local.split("T");
  const [y, mo, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, mo - 1, d, hh, mm);
  let utc = wall - offsetMinutes(zone, wall) * 60000;
  utc = wall - offsetMinutes(zone, utc) * 60000; // the offset at the instant itself
  return new Date(utc).toISOString();
}

/** Tomorrow at 10:00 in `zone`, as a datetime-local value. */
export function tomorrowAtTen(zone, now = Date.now()) {
  const local = new Date(now + offsetMinutes(zone, now) * 60000 + 86400000);
  return `${local.toISOString().slice(0, 10)}T10:00`;
}

function labelled(id, label, control) {
  control.id = id;
  return h("div", { class: "gate-field" }, h("label", { for: id }, label), control);
}

async function fillAssignees(select, me, notify) {
  select.append(h("option", { value: me.id }, T.me(me.name)));
  if (me.role === "AGENT") return; // agents may only assign themselves
  try {
    for (const edge of (await gql(CHOICES.owner)).users.edges) {
      if (edge.node.id !== me.id) select.append(h("option", { value: edge.node.id }, edge.node.name));
    }
  } catch {
    notify(T.unexpected);
  }
}

/**
 * The task form in the stage's gate slot.
 * @param {import("./moves.js").MoveController} moves
 */
export function showTaskGate(moves, deal, stageId, afterDealId, errors) {
  const column = moves.view.column(stageId);
  const stage = moves.state.stage(stageId);
  if (!column || !stage) return;
  const { me, workspace } = moves.me;
  const zone = (workspace && workspace.timezone) || "America/Sao_Paulo";
  const problem = h("p", { class: "field-error", role: "alert" }, errors.map((e) => e.message).join(" "));
  const assignee = h("select", { name: "assigneeId" });
  fillAssignees(assignee, me, moves.notify);
  const form = h(
    "form",
    { class: "gate-form task-gate", "aria-label": T.scheduledTask, dataset: { dealId: deal.id } },
    h("h3", {}, T.scheduledTask),
    h("p", { class: "gate-deal" }, deal.title),
    h("p", { class: "gate-hint" }, T.scheduledTaskHint(stage.name)),
    labelled("task-title", T.taskTitle, h("input", { name: "title", required: true, maxlength: "300", value: T.taskTitleFor(stage.name) })),
    labelled("task-due", T.taskDue, h("input", { name: "dueAt", type: "datetime-local", required: true, value: tomorrowAtTen(zone) })),
    labelled("task-assignee", T.taskAssignee, assignee),
    problem,
    h(
      "div",
      { class: "gate-actions" },
      h("button", { type: "submit", class: "primary" }, T.createTaskAndMove),
      h("button", { type: "button", class: "link", onclick: () => moves.clearGate(stageId) }, T.cancel),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const input = {
        title: String(data.get("title")).trim(),
        dueAt: zonedToIso(String(data.get("dueAt")), zone),
        assigneeId: String(data.get("assigneeId") || me.id),
        dealId: deal.id,
      };
      const created = (await gql(CREATE_TASK, { input })).createTask;
      if (created.userErrors.length) {
        problem.textContent = created.userErrors.map((e) => e.message).join(" ");
        return;
      }
      moves.clearGate(stageId);
      moves.notify(T.taskCreated(input.title));
      await moves.move(deal.id, stageId, afterDealId);
    } catch (error) {
      problem.textContent = error.message || T.unexpected;
    } finally {
      button.disabled = false;
    }
  });
  column.querySelector(".gate-slot").replaceChildren(form);
  moves.reveal(form);
}
