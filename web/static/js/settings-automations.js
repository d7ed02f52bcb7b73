// Settings: automations — each rule with a switch to enable or disable it,
// and the latest runs, a failed one with "Tentar de novo".

import { h } from "./dom.js";
import { table, when } from "./settings-screen.js";
import { AUTOMATIONS, RETRY_AUTOMATION_RUN, SET_AUTOMATION_ENABLED } from "./setup-documents.js";
import { gql } from "./setup-forms.js";
import { ST } from "./settings-labels.js";
import { explain } from "./setup-labels.js";

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
      "aria-label": ST.ruleEnabled(rule.name),
      onchange: act(SET_AUTOMATION_ENABLED, { id: rule.id, enabled: !rule.enabled }, "setAutomationRuleEnabled"),
    });
    return [rule.name, h("label", { class: "check" }, toggle, ` ${rule.enabled ? ST.enabled : ST.disabled}`)];
  });
  const runRows = automationRuns.edges.map(({ node: run }) => [
    run.rule.name,
    ST.runStatus[run.status] || run.status,
    run.error || run.reason || "",
    when(run.createdAt),
    run.status === "FAILED"
      ? h("button", { type: "button", class: "link", onclick: act(RETRY_AUTOMATION_RUN, { id: run.id }, "retryAutomationRun") }, ST.retry)
      : "",
  ]);
  return h(
    "div",
    { class: "settings-section" },
    automationRules.length ? table(ST.rules, [ST.rule, ST.status], ruleRows) : h("p", { class: "hint" }, ST.noAutomations),
    table(ST.recentRuns, [ST.rule, ST.status, ST.reason, ST.when, ""], runRows),
  );
}
