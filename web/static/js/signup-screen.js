// Before logging in: "Criar conta" (signUp: a new workspace and its first
// administrator) and the page an invitation link lands on (#/convite/<token>).

import { session } from "./api.js";
import { h } from "./dom.js";
import { ACCEPT_INVITATION, INVITATION_PREVIEW, SIGN_UP } from "./setup-documents.js";
import { gql, input, labelled, submitting } from "./setup-forms.js";
import { S } from "./setup-labels.js";

function screen(app, title, ...children) {
  document.title = `${title} · RevGraph`;
  const card = h("section", { class: "login setup-card", "aria-label": title }, h("h1", {}, title), ...children);
  app.replaceChildren(h("main", { class: "login-screen" }, card));
  const first = card.querySelector("input");
  if (first) first.focus();
  return card;
}

/** The sign-up form; `loggedIn()` runs once the session token is kept. */
export function showSignUp(app, { loggedIn, backToLogin }) {
  const general = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    { class: "setup-form", "aria-label": S.createAccount },
    labelled(S.workspaceName, input("workspaceName", { required: true, autocomplete: "organization" })),
    labelled(S.yourName, input("name", { required: true, autocomplete: "name" })),
    labelled(S.email, input("email", { type: "email", required: true, autocomplete: "username" })),
    labelled(S.password, input("password", { type: "password", required: true, autocomplete: "new-password" })),
    general,
    h("button", { type: "submit", class: "primary" }, S.createAccount),
  );
  submitting(form, general, {
    busy: S.creating,
    send: async (data) => {
      const fields = ["workspaceName", "name", "email", "password"];
      const variables = { input: Object.fromEntries(fields.map((name) => [name, String(data.get(name) || "")])) };
      return (await gql(SIGN_UP, variables)).signUp;
    },
    done: async (payload) => {
      await session.adopt(payload.token);
      await loggedIn();
    },
  });
  screen(app, S.createAccount, form, h("button", { type: "button", class: "link", onclick: backToLogin }, S.haveAccount));
}

/** Where an invitation link lands: who is invited to what, then name and password. */
export async function showInvitation(app, token, { loggedIn, backToLogin }) {
  history.replaceState(null, "", location.pathname); // the token leaves the address bar and history
  let preview = null;
  try {
    preview = (await gql(INVITATION_PREVIEW, { token })).invitationPreview;
  } catch (problem) {
    screen(app, S.acceptTitle("RevGraph"), h("p", { class: "form-error", role: "alert" }, problem.message || S.unexpected));
    return;
  }
  const status = preview ? preview.status : "UNKNOWN";
  const back = h("button", { type: "button", class: "link", onclick: backToLogin }, S.goToLogin);
  if (status !== "PENDING") {
    screen(app, S.acceptTitle(preview ? preview.workspaceName : "RevGraph"), h("p", { class: "form-error", role: "alert" }, S.invitationRefused[status]), back);
    return;
  }
  const general = h("p", { class: "form-error", role: "alert", dataset: { errorFor: "token" } });
  const form = h(
    "form",
    { class: "setup-form", "aria-label": S.accept },
    h("p", { class: "hint" }, S.acceptHelp(preview.email, S.roles[preview.role])),
    labelled(S.yourName, input("name", { required: true, autocomplete: "name", value: preview.name || "" })),
    labelled(S.password, input("password", { type: "password", required: true, autocomplete: "new-password" })),
    general,
    h("button", { type: "submit", class: "primary" }, S.accept),
  );
  submitting(form, general, {
    busy: S.saving,
    send: async (data) => {
      const variables = { input: { token, name: String(data.get("name") || ""), password: String(data.get("password") || "") } };
      return (await gql(ACCEPT_INVITATION, variables)).acceptInvitation;
    },
    done: async (payload) => {
      await session.adopt(payload.token);
      await loggedIn();
    },
  });
  screen(app, S.acceptTitle(preview.workspaceName), form, back);
}
