// Settings: pipelines and their stages' gates — what a deal needs to enter
// a stage (a scheduled task, filled fields), changed with updateStage.

import { h } from "./dom.js";
import { table } from "./settings-screen.js";
import { PIPELINES, UPDATE_STAGE } from "./setup-documents.js";
import { gql } from "./setup-forms.js";
import { ST } from "./settings-labels.js";
import { explain } from "./setup-labels.js";

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
  if (!pipelines.length) return h("p", { class: "hint" }, ST.noPipelines);
  return h(
    "div",
    { class: "settings-section" },
    pipelines.map((pipeline) =>
      table(
        pipeline.name,
        [ST.stage, ST.kind, ST.probability, ST.requiresTask, ST.requiredFields],
        pipeline.stages.map((stage) => [
          stage.name,
          ST.stageKinds[stage.kind] || stage.kind,
          `${stage.probability}%`,
          h("input", {
            type: "checkbox",
            checked: stage.requiresScheduledTask,
            "aria-label": ST.requiresTaskAt(stage.name),
            onchange: (event) => save(stage, { requiresScheduledTask: !stage.requiresScheduledTask }, event.target),
          }),
          h(
            "span",
            { class: "gate-fields" },
            // The deal fields a gate may require, as people read them.
            Object.entries(ST.gateFields).map(([key, label]) =>
              h(
                "label",
                { class: "check" },
                h("input", {
                  type: "checkbox",
                  checked: stage.requiredFields.includes(key),
                  "aria-label": ST.fieldRequiredAt(label, stage.name),
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
