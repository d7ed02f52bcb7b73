// Settings: roletas — the ones the viewer may change something in (every
// one for admins; for a manager, their teams' and those where people of
// their teams are members). Whoever runs a roleta renames it, changes its
// mode and strategy and archives it; members are changed inline
// (settings-queue-members.js). The backlog says how many leads wait.

import { h } from "./dom.js";
import { confirming } from "./settings-confirm.js";
import { ARCHIVE_QUEUE, QUEUES, REMOVE_QUEUE_MEMBER, SET_QUEUE_MEMBER, UPDATE_QUEUE } from "./settings-documents.js";
import { addMemberForm, membersTable } from "./settings-queue-members.js";
import { ST } from "./settings-labels.js";
import { gql, input, labelled, select, showProblems, submitting } from "./setup-forms.js";

export async function queuesSection(shell, reload) {
  const { queues, queueCandidates } = await gql(QUEUES);
  const root = h("div", { class: "settings-section" });
  // A change the server took redraws the section from its answer; a refused
  // one leaves the controls as they are, with the reasons beside them. The
  // section is aria-busy from the change until either.
  const call = async (document, variables, name) => {
    root.setAttribute("aria-busy", "true");
    try {
      const payload = (await gql(document, variables))[name];
      if (!payload.userErrors.length) await reload();
      return payload;
    } catch (error) {
      shell.failed(error);
      return { userErrors: [] };
    } finally {
      root.removeAttribute("aria-busy");
    }
  };
  if (!queues.length) {
    const admin = shell.me?.me?.role === "ADMIN";
    return h("p", { class: "hint" }, admin ? ST.noQueuesAdmin : ST.noQueuesManager);
  }
  root.append(...queues.map((queue) => queueCard(queue, queueCandidates, call)));
  return root;
}

function queueCard(queue, candidates, call) {
  const general = h("p", { class: "field-error", role: "alert" });
  const setMember = (values) => call(SET_QUEUE_MEMBER, { queueId: queue.id, input: values }, "setQueueMember");
  const dropMember = (member) =>
    call(REMOVE_QUEUE_MEMBER, { queueId: queue.id, userId: member.user.id }, "removeQueueMember");
  const summary = `${ST.strategies[queue.strategy] || queue.strategy} · ${ST.modes[queue.mode] || queue.mode}`;
  return h(
    "section",
    { class: "setup-step queue-card", "aria-label": ST.queue(queue.name) },
    h("h2", {}, queue.name),
    h("p", { class: "hint" }, `${summary} · `, h("strong", { class: "queue-backlog" }, ST.backlog(queue.backlog))),
    queue.viewerRuns ? queueForm(queue, call) : h("p", { class: "hint" }, ST.tended),
    membersTable(queue, { send: setMember, drop: dropMember, general }),
    general,
    addMemberForm(queue, candidates, setMember),
    queue.viewerRuns ? archiveControl(queue, call, general) : null,
  );
}

function queueForm(queue, call) {
  const general = h("p", { class: "field-error", role: "alert" });
  const form = h(
    "form",
    { class: "setup-form inline-form", "aria-label": ST.configureQueue(queue.name) },
    labelled(ST.queueName, input("name", { value: queue.name, required: true, maxlength: 200 })),
    labelled(ST.mode, select("mode", Object.entries(ST.modes), queue.mode)),
    labelled(ST.strategy, select("strategy", Object.entries(ST.strategies), queue.strategy)),
    h("button", { type: "submit" }, ST.saveQueue),
    general,
  );
  submitting(form, general, {
    busy: ST.saving,
    send: (data) =>
      call(
        UPDATE_QUEUE,
        { id: queue.id, input: { name: data.get("name"), mode: data.get("mode"), strategy: data.get("strategy") } },
        "updateQueue",
      ),
    done: async () => {},
  });
  return form;
}

function archiveControl(queue, call, general) {
  const question = ST.archiveQueueQuestion(queue.name);
  return h(
    "div",
    { class: "queue-archive" },
    confirming(ST.archiveQueue, question, ST.confirmArchive, async () => {
      const payload = await call(ARCHIVE_QUEUE, { id: queue.id }, "archiveQueue");
      showProblems(general, general, payload.userErrors);
    }, { "aria-label": ST.archiveQueueNamed(queue.name) }),
  );
}
