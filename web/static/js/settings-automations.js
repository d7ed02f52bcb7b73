// Settings: automations — each rule with a switch to enable or disable it,
// and the latest runs, a failed one with "Tentar de novo".

import { h } from "./dom.js";
import { table, when } from "./settings-screen.js";
import { AUTOMATIONS, RETRY_AUTOMATION_RUN, SET_AUTOMATION_ENABLED } from "./setup-documents.js";
import { gql } from "./setup-forms.js";
import { explain } from "./setup-labels.js";

const RUN_STATUS = {
  PENDING: "Na fila",
  RUNNING: "Rodando",
  WAITING: "Aguardando",
  SUCCEEDED: "Concluída",
  FAILED: "Falhou",
  SKIPPED: "Pulada",
  EXITED: "Encerrada",
};

export async function automationsSection(shell, reload) {
  const { automationRules, automationRuns } = await gql(AUTOMATIONS);
  // The control is disabled until the section is drawn again from the server's answer.
  const act = (document, variables, key) => async (event) => {
    event.target.disabled = true;
    try {
      const payload = (await gql(document, variables))[key];
      if (payload.userErrors.length) shell.notify(explain(payload.userErrors[0]));
    } catch (error) {
      shell.failed(error);
    }
    await reload();
  };
  const ruleRows = automationRules.map((rule) => {
    const toggle = h("input", {
      type: "checkbox",
      role: "switch",
      checked: rule.enabled,
      "aria-label": `Ativa: ${rule.name}`,
      onchange: act(SET_AUTOMATION_ENABLED, { id: rule.id, enabled: !rule.enabled }, "setAutomationRuleEnabled"),
    });
    return [rule.name, h("label", { class: "check" }, toggle, rule.enabled ? " Ativa" : " Desativada")];
  });
  const runRows = automationRuns.edges.map(({ node: run }) => [
    run.rule.name,
    RUN_STATUS[run.status] || run.status,
    run.error || run.reason || "",
    when(run.createdAt),
    run.status === "FAILED"
      ? h("button", { type: "button", class: "link", onclick: act(RETRY_AUTOMATION_RUN, { id: run.id }, "retryAutomationRun") }, "Tentar de novo")
      : "",
  ]);
  return h(
    "div",
    { class: "settings-section" },
    automationRules.length ? table("Regras", ["Regra", "Situação"], ruleRows) : h("p", { class: "hint" }, "Nenhuma automação ainda."),
    table("Execuções recentes", ["Regra", "Situação", "Motivo", "Quando", ""], runRows),
  );
}
