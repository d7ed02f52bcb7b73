// Settings: API keys — create one (its secret shown once, to copy now) and
// revoke the ones in use.

import { h } from "./dom.js";
import { table, when } from "./settings-screen.js";
import { API_KEYS, CREATE_API_KEY, REVOKE_API_KEY } from "./setup-documents.js";
import { gql, input, labelled, select, submitting } from "./setup-forms.js";
import { explain, S } from "./setup-labels.js";

const SCOPES = [
  ["FULL", "Completa"],
  ["READ_ONLY", "Somente leitura"],
  ["INTAKE", "Entrada de leads"],
];

export async function keysSection(shell, reload) {
  const { apiKeys } = await gql(API_KEYS);
  const rowsOf = (keys) =>
    keys.map((key) => [
    key.name,
    S.roles[key.role],
    (SCOPES.find(([value]) => value === key.scope) || [null, key.scope])[1],
    when(key.createdAt),
    key.revokedAt
      ? `Revogada em ${when(key.revokedAt)}`
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
  const shown = h("div", { class: "invite-result", hidden: true }, labelled("Segredo da chave (copie agora: não será mostrado de novo)", secret));
  const form = h(
    "form",
    { class: "setup-form", "aria-label": "Nova chave de API" },
    h("h2", {}, "Nova chave de API"),
    labelled(S.name, input("name", { required: true })),
    labelled(S.role, select("role", Object.entries(S.roles), "AGENT")),
    labelled("Escopo", select("scope", SCOPES, "FULL")),
    general,
    h("button", { type: "submit", class: "primary" }, "Criar chave"),
  );
  const list = h("div", {}, table("Chaves", [S.name, S.role, "Escopo", "Criada em", ""], rowsOf(apiKeys)));
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
      list.replaceChildren(table("Chaves", [S.name, S.role, "Escopo", "Criada em", ""], rowsOf(fresh.apiKeys)));
    },
  });
  return h("div", { class: "settings-section" }, form, shown, list);
}
