// The page a password reset link lands on: /reset-password#<token>.
// The token travels in the fragment, which the browser never sends to a
// server; it is read once and taken out of the address bar and history.

import { RESET } from "./settings-labels.js";

const RESET_PASSWORD = `
mutation ResetPassword($input: ResetPasswordInput!) {
  resetPassword(input: $input) { ok userErrors { code message field } }
}`;

// The page is written in pt-BR; in the browser's language when that is English (i18n.js).
const MESSAGES = RESET;

const token = decodeURIComponent(location.hash.replace(/^#/, ""));
if (location.hash) history.replaceState(null, "", location.pathname);

const form = document.getElementById("reset-password");
const error = document.getElementById("reset-error");
const done = document.getElementById("reset-done");
const button = form.querySelector("button");

function speak() {
  document.title = MESSAGES.pageTitle;
  document.getElementById("reset-title").textContent = MESSAGES.title;
  document.getElementById("reset-intro").textContent = MESSAGES.intro;
  form.querySelector('label[for="new-password"]').textContent = MESSAGES.newPassword;
  form.querySelector('label[for="confirm-password"]').textContent = MESSAGES.confirmPassword;
  button.textContent = MESSAGES.save;
  done.querySelector("h1").textContent = MESSAGES.doneTitle;
  done.querySelector("p").textContent = MESSAGES.doneText;
  done.querySelector("a").textContent = MESSAGES.enter;
}

speak();

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
