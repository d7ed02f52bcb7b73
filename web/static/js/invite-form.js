// The invitation form (first steps and settings): e-mail, name, role, team;
// on success the one-time link is shown, ready to copy (no e-mail is sent).

import { h } from "./dom.js";
import { CREATE_INVITATION } from "./setup-documents.js";
import { gql, input, labelled, select, submitting } from "./setup-forms.js";
import { S } from "./setup-labels.js";

/**
 * `roles` are the roles offered (a manager invites agents only), and
 * `anyTeam` offers "no team" (a manager's invitee joins one of their teams).
 * @param {{teams: {id: string, name: string}[], onIssued?: () => void, roles?: object, anyTeam?: boolean}} options
 */
export function inviteForm({ teams, onIssued, roles = S.roles, anyTeam = true }) {
  const general = h("p", { class: "form-error", role: "alert" });
  const link = h("input", { name: "link", readonly: true, class: "invite-link" });
  const copy = h("button", { type: "button" }, S.copy);
  const copied = h("span", { role: "status", class: "hint" });
  copy.addEventListener("click", async () => {
    link.select();
    try {
      await navigator.clipboard.writeText(link.value);
    } catch {
      document.execCommand("copy");
    }
    copied.textContent = S.copied;
  });
  const result = h("div", { class: "invite-result", hidden: true }, labelled(S.inviteLink, link), h("div", { class: "row" }, copy, copied));
  const form = h(
    "form",
    { class: "setup-form invite-form", "aria-label": S.inviteTitle },
    labelled(S.email, input("email", { type: "email", required: true, autocomplete: "off" })),
    labelled(S.name, input("name", { autocomplete: "off" })),
    labelled(S.role, select("role", Object.entries(roles), "AGENT")),
    labelled(S.team, select("teamId", [...(anyTeam ? [["", S.noTeam]] : []), ...teams.map((t) => [t.id, t.name])])),
    general,
    h("button", { type: "submit", class: "primary" }, S.invite),
  );
  submitting(form, general, {
    busy: S.creating,
    send: async (data) => {
      const variables = {
        input: {
          email: String(data.get("email")),
          name: String(data.get("name") || "") || null,
          role: String(data.get("role")),
          teamId: String(data.get("teamId") || "") || null,
        },
      };
      return (await gql(CREATE_INVITATION, variables)).createInvitation;
    },
    done: (payload) => {
      link.value = new URL(payload.path, location.origin).href;
      copied.textContent = "";
      result.hidden = false;
      form.reset();
      if (onIssued) onIssued(payload);
    },
  });
  return h("div", { class: "invite" }, form, result);
}
