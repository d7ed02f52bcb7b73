// The page a password reset link lands on: /reset-password#<token>.
// The token travels in the fragment, which the browser never sends to a
// server; it is read once and taken out of the address bar and history.

const RESET_PASSWORD = `
mutation ResetPassword($input: ResetPasswordInput!) {
  resetPassword(input: $input) { ok userErrors { code message field } }
}`;

const MESSAGES = {
  noToken: "Este link não traz o código de redefinição. Peça um novo link ao administrador.",
  mismatch: "As duas senhas não são iguais.",
  length: "A senha precisa ter de 8 a 256 caracteres.",
  invalidLink: "Este link é inválido, já foi usado ou expirou. Peça um novo link ao administrador.",
  throttled: "Muitas tentativas com links inválidos. Aguarde alguns minutos e tente de novo.",
  network: "Não foi possível falar com o servidor. Verifique a conexão e tente de novo.",
  unexpected: "Algo deu errado. Tente de novo em instantes.",
  saving: "Salvando…",
  save: "Salvar nova senha",
};

const token = decodeURIComponent(location.hash.replace(/^#/, ""));
if (location.hash) history.replaceState(null, "", location.pathname);

const form = document.getElementById("reset-password");
const error = document.getElementById("reset-error");
const done = document.getElementById("reset-done");
const button = form.querySelector("button");

function refuse(message, { closed = false } = {}) {
  error.textContent = message;
  if (closed) {
    for (const input of form.querySelectorAll("input")) input.disabled = true;
    button.hidden = true;
  }
}

/** What a userError or top-level error means to the person at the form. */
function explain(problem) {
  const field = (problem.field || []).join(".");
  if (problem.code === "LIMIT_EXCEEDED") return MESSAGES.throttled;
  if (field === "input.token") return MESSAGES.invalidLink;
  if (field === "input.newPassword") return MESSAGES.length;
  return problem.message || MESSAGES.unexpected;
}

async function resetPassword(newPassword) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: RESET_PASSWORD, variables: { input: { token, newPassword } } }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    return { ok: false, problem: { code: first.extensions && first.extensions.code, message: first.message } };
  }
  const payload = body.data.resetPassword;
  return { ok: payload.ok, problem: payload.userErrors[0] };
}

if (!token) refuse(MESSAGES.noToken, { closed: true });

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const data = new FormData(form);
  const password = String(data.get("newPassword") || "");
  if (password.length < 8 || password.length > 256) return refuse(MESSAGES.length);
  if (password !== String(data.get("confirmPassword") || "")) return refuse(MESSAGES.mismatch);
  button.disabled = true;
  button.textContent = MESSAGES.saving;
  let result;
  try {
    result = await resetPassword(password);
  } catch {
    result = { ok: false, problem: { message: MESSAGES.network } };
  }
  button.disabled = false;
  button.textContent = MESSAGES.save;
  if (result.ok) {
    form.hidden = true;
    done.hidden = false;
    done.querySelector("a").focus();
    return;
  }
  const message = explain(result.problem || {});
  refuse(message, { closed: message === MESSAGES.invalidLink });
});

if (token) document.getElementById("new-password").focus();
