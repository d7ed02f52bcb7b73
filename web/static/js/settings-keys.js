// Settings: API keys — create one (its secret shown once, to copy now) and
// revoke the ones in use.

import { h } from "./dom.js";
import { table, when } from "./settings-screen.js";
import { API_KEYS, CREATE_API_KEY, REVOKE_API_KEY } from "./setup-documents.js";
import { gql, input, labelled, select, submitting } from "./setup-forms.js";
import { ST } from "./settings-labels.js";
import { explain, S } from "./setup-labels.js";

export async function keysSection(shell, reload) {
  const { apiKeys } = await gql(API_KEYS);
  const rowsOf = (keys) =>
    keys.map((key) => [
    key.name,
    S.roles[key.role],
    ST.scopes[key.scope] || key.scope,
    when(key.createdAt),
    key.revokedAt
      ? ST.revokedOn(when(key.revokedAt))
      : h(
          "button",
          {
            type: "button",
            class: "link danger",
            "aria-label": `${S.revoke} ${key.name}`,
            onclick: async () => {
              try {
                const payload = (await gql(REVOKE_API_KEY, { id: key.id })).revokeApiKey;
                if (payload.userErrors.length) return shell.notify(explain(payload.userErrors[0]));
                await reload();
              } catch (error) {
                shell.failed(error);
              }
            },
          },
          S.revoke,
        ),
    ]);
  const general = h("p", { class: "form-error", role: "alert" });
  const secret = h("input", { name: "secret", readonly: true, class: "invite-link" });
  const shown = h("div", { class: "invite-result", hidden: true }, labelled(ST.keySecret, secret));
  const form = h(
    "form",
    { class: "setup-form", "aria-label": ST.newKey },
    h("h2", {}, ST.newKey),
    labelled(S.name, input("name", { required: true })),
    labelled(S.role, select("role", Object.entries(S.roles), "AGENT")),
    labelled(ST.scope, select("scope", Object.entries(ST.scopes), "FULL")),
    general,
    h("button", { type: "submit", class: "primary" }, ST.createKey),
  );
  const list = h("div", {}, table(ST.keys, [S.name, S.role, ST.scope, ST.createdOn, ""], rowsOf(apiKeys)));
  submitting(form, general, {
    busy: S.creating,
    send: async (data) => {
      const variables = { input: { name: String(data.get("name") || ""), role: String(data.get("role")), scope: String(data.get("scope")) } };
      return (await gql(CREATE_API_KEY, variables)).createApiKey;
    },
    done: async (payload) => {
      secret.value = payload.secret;
      shown.hidden = false;
      form.reset();
      const fresh = await gql(API_KEYS);
      list.replaceChildren(table(ST.keys, [S.name, S.role, ST.scope, ST.createdOn, ""], rowsOf(fresh.apiKeys)));
    },
  });
  return h("div", { class: "settings-section" }, form, shown, list);
}
