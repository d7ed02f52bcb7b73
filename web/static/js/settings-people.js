// Settings: people and teams — the users, the teams with their managers, a
// new team, invitations (issue a link, see their status, revoke).

import { h } from "./dom.js";
import { inviteForm } from "./invite-form.js";
import { table, when } from "./settings-screen.js";
import { CREATE_TEAM, INVITATIONS, PEOPLE, REVOKE_INVITATION } from "./setup-documents.js";
import { gql, input, labelled, select, submitting } from "./setup-forms.js";
import { explain, S } from "./setup-labels.js";

export async function peopleSection(shell, reload) {
  const [people, { invitations }] = await Promise.all([gql(PEOPLE), gql(INVITATIONS)]);
  const users = people.users.edges.map((edge) => edge.node);
  const userRows = users.map((u) => [u.name, u.email, S.roles[u.role], u.team ? u.team.name : "—", u.active ? "Ativo" : "Desativado"]);
  const teamRows = people.teams.map((t) => [t.name, t.manager ? t.manager.name : "—"]);
  const invitationRows = invitations.map((invitation) => [
    invitation.email,
    S.roles[invitation.role],
    h("span", { class: "status", dataset: { status: invitation.status } }, S.invitationStatus[invitation.status]),
    when(invitation.expiresAt),
    invitation.status === "PENDING" ? revokeButton(shell, invitation, reload) : "",
  ]);
  return h(
    "div",
    { class: "settings-section" },
    table("Usuários", ["Nome", "E-mail", S.role, S.team, "Situação"], userRows),
    table("Equipes", ["Equipe", "Gestor"], teamRows),
    teamForm(users, people.teams, reload),
    h("section", { class: "setup-step", "aria-label": S.inviteTitle }, h("h2", {}, S.inviteTitle), h("p", { class: "hint" }, S.inviteHelp), inviteForm({ teams: people.teams })),
    table("Convites", [S.email, S.role, "Situação", "Expira em", ""], invitationRows),
  );
}

function revokeButton(shell, invitation, reload) {
  return h(
    "button",
    {
      type: "button",
      class: "link danger",
      "aria-label": `${S.revoke} ${invitation.email}`,
      onclick: async () => {
        try {
          const payload = (await gql(REVOKE_INVITATION, { id: invitation.id })).revokeInvitation;
          if (payload.userErrors.length) return shell.notify(explain(payload.userErrors[0]));
          await reload();
        } catch (error) {
          shell.failed(error);
        }
      },
    },
    S.revoke,
  );
}

function teamForm(users, teams, reload) {
  const general = h("p", { class: "form-error", role: "alert" });
  const managers = users.filter((u) => u.active && u.role !== "AGENT").map((u) => [u.id, u.name]);
  const form = h(
    "form",
    { class: "setup-form", "aria-label": "Nova equipe" },
    h("h2", {}, "Nova equipe"),
    labelled(S.name, input("name", { required: true })),
    labelled("Gestor", select("managerId", [["", "Sem gestor"], ...managers])),
    labelled("Equipe acima", select("parentId", [["", "Nenhuma"], ...teams.map((t) => [t.id, t.name])])),
    general,
    h("button", { type: "submit", class: "primary" }, "Criar equipe"),
  );
  submitting(form, general, {
    busy: S.creating,
    send: async (data) => {
      const value = (name) => String(data.get(name) || "") || null;
      const variables = { input: { name: String(data.get("name") || ""), managerId: value("managerId"), parentId: value("parentId") } };
      return (await gql(CREATE_TEAM, variables)).createTeam;
    },
    done: () => reload(),
  });
  return form;
}
