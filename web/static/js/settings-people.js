// Settings: people and teams — the users, the teams with their managers and
// the team above (an admin edits a team in place: name, manager, team
// above), a new team, invitations (issue a link, see their status, revoke).
// A manager sees the same screen narrowed to what they may do: invite agents
// into their own teams, and follow and revoke those invitations.

import { h } from "./dom.js";
import { inviteForm } from "./invite-form.js";
import { table, when } from "./settings-screen.js";
import { CREATE_TEAM, INVITATIONS, PEOPLE, REVOKE_INVITATION, UPDATE_TEAM } from "./setup-documents.js";
import { gql, input, labelled, select, submitting } from "./setup-forms.js";
import { ST } from "./settings-labels.js";
import { explain, S } from "./setup-labels.js";

export async function peopleSection(shell, reload) {
  const admin = shell.me.me.role === "ADMIN";
  const [people, { invitations }] = await Promise.all([gql(PEOPLE), gql(INVITATIONS)]);
  const users = people.users.edges.map((edge) => edge.node);
  const userRows = users.map((u) => [u.name, u.email, S.roles[u.role], u.team ? u.team.name : "—", u.active ? ST.active : ST.deactivated]);
  const editing = h("div", { class: "team-edit-slot" });
  const teamRows = people.teams.map((t) => [
    t.name,
    t.manager ? t.manager.name : "—",
    t.parent ? t.parent.name : "—",
    admin ? editTeamButton(shell, t, users, people.teams, editing, reload) : "",
  ]);
  const invitationRows = invitations.map((invitation) => [
    invitation.email,
    S.roles[invitation.role],
    invitation.team ? invitation.team.name : "—",
    invitation.invitedBy ? invitation.invitedBy.name : "—",
    h("span", { class: "status", dataset: { status: invitation.status } }, S.invitationStatus[invitation.status]),
    when(invitation.expiresAt),
    invitation.status === "PENDING" ? revokeButton(shell, invitation, reload) : "",
  ]);
  const invite = admin
    ? inviteForm({ teams: people.teams })
    : inviteForm({ teams: people.teams.filter((t) => t.inMyScope), roles: { AGENT: S.roles.AGENT }, anyTeam: false });
  return h(
    "div",
    { class: "settings-section" },
    table(ST.users, [S.name, S.email, S.role, S.team, ST.status], userRows),
    table(S.teams, [S.team, S.manager, S.parentTeam, ""], teamRows),
    editing,
    admin ? teamForm(users, people.teams, reload) : null,
    h("section", { class: "setup-step", "aria-label": S.inviteTitle }, h("h2", {}, S.inviteTitle), h("p", { class: "hint" }, admin ? S.inviteHelp : S.managerInviteHelp), invite),
    table(ST.invitations, [S.email, S.role, S.team, S.invitedBy, ST.status, ST.expires, ""], invitationRows),
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

/** Who may manage a team: active administrators and managers (the team's current manager kept). */
function managerChoices(users, current = null) {
  const choices = users.filter((u) => u.active && u.role !== "AGENT").map((u) => [u.id, u.name]);
  if (current && !choices.some(([id]) => id === current.id)) choices.unshift([current.id, current.name]);
  return choices;
}

/** The fields of a team's form: name, manager, team above (`team` fills them in). */
function teamFields(users, teams, team = null) {
  const name = input("name", { required: true, autocomplete: "off" });
  if (team) name.value = team.name;
  const parents = teams.filter((t) => !team || t.id !== team.id).map((t) => [t.id, t.name]);
  return [
    labelled(S.name, name),
    labelled(S.manager, select("managerId", [["", S.noManager], ...managerChoices(users, team && team.manager)], team && team.manager ? team.manager.id : "")),
    labelled(S.parentTeam, select("parentId", [["", S.noParent], ...parents], team && team.parent ? team.parent.id : "")),
  ];
}

function teamValues(data) {
  const value = (name) => String(data.get(name) || "") || null;
  return { name: String(data.get("name") || ""), managerId: value("managerId"), parentId: value("parentId") };
}

function editTeamButton(shell, team, users, teams, slot, reload) {
  const button = h("button", { type: "button", class: "link", "aria-label": S.editTeamButton(team.name) }, S.edit);
  button.addEventListener("click", () => {
    const general = h("p", { class: "form-error", role: "alert" });
    const cancel = h("button", { type: "button", class: "secondary" }, S.cancel);
    const form = h(
      "form",
      { class: "setup-form", "aria-label": S.editTeam(team.name) },
      h("h2", {}, S.editTeam(team.name)),
      ...teamFields(users, teams, team),
      general,
      h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, S.save), cancel),
    );
    cancel.addEventListener("click", () => {
      slot.replaceChildren();
      button.focus();
    });
    submitting(form, general, {
      busy: S.saving,
      send: async (data) => (await gql(UPDATE_TEAM, { id: team.id, input: teamValues(data) })).updateTeam,
      done: async (payload) => {
        shell.notify(S.teamSaved(payload.team.name));
        await reload();
      },
    });
    slot.replaceChildren(form);
    form.querySelector("input").focus();
  });
  return button;
}

function teamForm(users, teams, reload) {
  const general = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "setup-form", "aria-label": ST.newTeam },
    h("h2", {}, ST.newTeam),
    ...teamFields(users, teams),
    general,
    h("button", { type: "submit", class: "primary" }, ST.createTeam),
  );
  submitting(form, general, {
    busy: S.creating,
    send: async (data) => (await gql(CREATE_TEAM, { input: teamValues(data) })).createTeam,
    done: () => reload(),
  });
  return form;
}
