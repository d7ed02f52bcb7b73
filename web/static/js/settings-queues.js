// Settings: roletas and their members — pause or resume a member, add
// someone (setQueueMember).

import { h } from "./dom.js";
import { table } from "./settings-screen.js";
import { QUEUES, SET_QUEUE_MEMBER } from "./setup-documents.js";
import { gql } from "./setup-forms.js";
import { explain } from "./setup-labels.js";

const STRATEGIES = { ROUND_ROBIN: "Rodízio", WEIGHTED: "Por peso", LEAST_LOADED: "Menos carregado" };

export async function queuesSection(shell, reload) {
  const { queues, users } = await gql(QUEUES);
  const people = users.edges.map((edge) => edge.node).filter((user) => user.active);
  // The control waits, disabled, for the section drawn again from the server's answer.
  const setMember = async (queue, input, control) => {
    control.disabled = true;
    try {
      const payload = (await gql(SET_QUEUE_MEMBER, { queueId: queue.id, input })).setQueueMember;
      if (payload.userErrors.length) shell.notify(explain(payload.userErrors[0]));
    } catch (error) {
      shell.failed(error);
    }
    await reload();
  };
  if (!queues.length) return h("p", { class: "hint" }, "Nenhuma roleta ainda: crie uma em Primeiros passos.");
  return h(
    "div",
    { class: "settings-section" },
    queues.map((queue) => {
      const inside = new Set(queue.members.map((m) => m.user.id));
      const outside = people.filter((user) => !inside.has(user.id));
      const add = h(
        "select",
        { "aria-label": `Adicionar à roleta ${queue.name}`, onchange: (event) => event.target.value && setMember(queue, { userId: event.target.value }, event.target) },
        h("option", { value: "" }, "Adicionar pessoa…"),
        outside.map((user) => h("option", { value: user.id }, user.name)),
      );
      return h(
        "div",
        { class: "setup-step" },
        table(
          `${queue.name} · ${STRATEGIES[queue.strategy] || queue.strategy} · ${queue.mode === "ONLINE" ? "só quem está online" : "todos os ativos"}`,
          ["Pessoa", "Peso", "Recebe leads"],
          queue.members.map((member) => [
            member.user.name,
            String(member.weight),
            h(
              "label",
              { class: "check" },
              h("input", {
                type: "checkbox",
                checked: member.active,
                "aria-label": `Recebe leads: ${member.user.name} em ${queue.name}`,
                onchange: (event) =>
                  setMember(queue, { userId: member.user.id, weight: member.weight, active: !member.active }, event.target),
              }),
              member.active ? " Sim" : " Pausado",
            ),
          ]),
        ),
        outside.length ? add : null,
      );
    }),
  );
}
