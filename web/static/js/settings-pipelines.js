// Settings: pipelines and their stages' gates — what a deal needs to enter
// a stage (a scheduled task, filled fields), changed with updateStage.

import { h } from "./dom.js";
import { table } from "./settings-screen.js";
import { PIPELINES, UPDATE_STAGE } from "./setup-documents.js";
import { gql } from "./setup-forms.js";
import { explain } from "./setup-labels.js";

const KINDS = { OPEN: "Aberta", WON: "Ganho", LOST: "Perdido" };
// The deal fields a gate may require, as people read them.
const FIELDS = { value: "Valor", expectedCloseDate: "Data prevista de fechamento", ownerId: "Responsável", contactId: "Contato" };

export async function pipelinesSection(shell, reload) {
  const { pipelines } = await gql(PIPELINES);
  // Every gate control waits, disabled, for the section drawn again from the server's answer.
  const save = async (stage, input, control) => {
    for (const box of control.closest("tr").querySelectorAll("input")) box.disabled = true;
    try {
      const payload = (await gql(UPDATE_STAGE, { id: stage.id, input })).updateStage;
      if (payload.userErrors.length) shell.notify(explain(payload.userErrors[0]));
    } catch (error) {
      shell.failed(error);
    }
    await reload();
  };
  if (!pipelines.length) return h("p", { class: "hint" }, "Nenhum funil ainda: crie um em Primeiros passos.");
  return h(
    "div",
    { class: "settings-section" },
    pipelines.map((pipeline) =>
      table(
        pipeline.name,
        ["Etapa", "Tipo", "Probabilidade", "Exige tarefa agendada", "Campos exigidos"],
        pipeline.stages.map((stage) => [
          stage.name,
          KINDS[stage.kind] || stage.kind,
          `${stage.probability}%`,
          h("input", {
            type: "checkbox",
            checked: stage.requiresScheduledTask,
            "aria-label": `Exige tarefa agendada: ${stage.name}`,
            onchange: (event) => save(stage, { requiresScheduledTask: !stage.requiresScheduledTask }, event.target),
          }),
          h(
            "span",
            { class: "gate-fields" },
            Object.entries(FIELDS).map(([key, label]) =>
              h(
                "label",
                { class: "check" },
                h("input", {
                  type: "checkbox",
                  checked: stage.requiredFields.includes(key),
                  "aria-label": `${label} exigido: ${stage.name}`,
                  onchange: (event) => {
                    const chosen = stage.requiredFields.filter((f) => f !== key);
                    if (event.target.checked) chosen.push(key);
                    save(stage, { requiredFields: chosen }, event.target);
                  },
                }),
                ` ${label}`,
              ),
            ),
          ),
        ]),
      ),
    ),
  );
}
