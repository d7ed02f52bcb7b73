// "Primeiros passos" (#/primeiros-passos), shown right after sign-up: the
// first pipeline from the real-estate pre-sales template, the first roleta
// with the workspace's people, and invitation links for the team.

import { h } from "./dom.js";
import { inviteForm } from "./invite-form.js";
import { routeHash } from "./routes.js";
import { CREATE_PIPELINE_FROM_TEMPLATE, CREATE_QUEUE, PEOPLE, PIPELINE_TEMPLATES } from "./setup-documents.js";
import { gql, input, labelled, submitting } from "./setup-forms.js";
import { S } from "./setup-labels.js";

export class FirstRunScreen {
  constructor(shell) {
    this.shell = shell;
  }

  async start() {
    document.title = `${S.firstSteps} · RevGraph`;
    try {
      const [templates, people] = await Promise.all([gql(PIPELINE_TEMPLATES), gql(PEOPLE)]);
      this.render(templates, people);
    } catch (error) {
      this.shell.failed(error);
    }
  }

  show() {}

  stop() {}

  render(templates, people) {
    const users = people.users.edges.map((edge) => edge.node).filter((user) => user.active);
    this.shell.root.replaceChildren(
      h(
        "div",
        { class: "setup-page" },
        h("h1", {}, S.firstSteps),
        h("p", { class: "hint" }, S.firstStepsHelp),
        this.pipelineStep(templates),
        this.queueStep(users),
        h("section", { class: "setup-step", "aria-label": S.stepInvite }, h("h2", {}, S.stepInvite), h("p", { class: "hint" }, S.inviteHelp), inviteForm({ teams: people.teams })),
        h("a", { class: "primary button-link", href: routeHash("board") }, S.done),
      ),
    );
  }

  pipelineStep({ pipelineTemplates, pipelines }) {
    const template = pipelineTemplates[0];
    const status = h("p", { class: "hint", role: "status" }, pipelines.length ? S.havePipelines(pipelines.map((p) => p.name).join(", ")) : "");
    const general = h("p", { class: "form-error", role: "alert" });
    const form = h(
      "form",
      { class: "setup-form", "aria-label": S.stepPipeline },
      h("p", { class: "hint" }, template.description),
      h("ol", { class: "template-stages" }, template.stages.map((stage) => h("li", {}, stage.name))),
      general,
      h("button", { type: "submit", class: "primary" }, S.usePipeline(template.name)),
    );
    submitting(form, general, {
      busy: S.creating,
      send: async () => (await gql(CREATE_PIPELINE_FROM_TEMPLATE, { key: template.key })).createPipelineFromTemplate,
      done: (payload) => {
        status.textContent = S.pipelineReady(payload.pipeline.name);
        form.querySelector("button[type=submit]").hidden = true;
      },
    });
    return h("section", { class: "setup-step", "aria-label": S.stepPipeline }, h("h2", {}, S.stepPipeline), h("p", { class: "hint" }, S.stepPipelineHelp), form, status);
  }

  queueStep(users) {
    const status = h("p", { class: "hint", role: "status" });
    const general = h("p", { class: "form-error", role: "alert", dataset: { errorFor: "members" } });
    const members = h(
      "fieldset",
      { class: "members" },
      h("legend", {}, S.queueMembers),
      users.map((user) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "member", value: user.id, checked: true }), ` ${user.name}`)),
    );
    const form = h(
      "form",
      { class: "setup-form", "aria-label": S.stepQueue },
      labelled(S.queueName, input("name", { required: true, value: S.queueDefault })),
      members,
      general,
      h("button", { type: "submit", class: "primary" }, S.createQueue),
    );
    submitting(form, general, {
      busy: S.creating,
      send: async (data) => {
        const chosen = data.getAll("member").map(String);
        if (!chosen.length) return { userErrors: [{ code: "INVALID", message: S.noMembers, field: ["input", "members"] }] };
        const variables = {
          input: { name: String(data.get("name") || ""), mode: "OFFLINE", strategy: "ROUND_ROBIN", members: chosen.map((userId) => ({ userId })) },
        };
        return (await gql(CREATE_QUEUE, variables)).createQueue;
      },
      done: (payload) => {
        status.textContent = S.queueReady(payload.queue.name);
        form.querySelector("button[type=submit]").hidden = true;
      },
    });
    return h("section", { class: "setup-step", "aria-label": S.stepQueue }, h("h2", {}, S.stepQueue), h("p", { class: "hint" }, S.stepQueueHelp), form, status);
  }
}
