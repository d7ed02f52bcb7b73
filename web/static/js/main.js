// The web board: log in, pick a pipeline, work the Kanban, see others'
// moves live. Plain ES modules served as they are: no build step.

import { ApiError, gql, session, websocketUrl } from "./api.js";
import { BoardState } from "./board-state.js";
import { BoardView, h } from "./board-view.js";
import { BOARD, BOARD_EVENTS, LOG_IN, ME } from "./documents.js";
import { LiveSubscription } from "./live.js";
import { T } from "./labels.js";
import { MoveController } from "./moves.js";

const PIPELINE_KEY = "revgraph.pipeline";
const app = document.getElementById("app");
const toasts = document.getElementById("toasts");
let live = null;

function notify(message) {
  const toast = h("p", { class: "toast" }, message);
  toasts.append(toast);
  setTimeout(() => toast.remove(), 6000);
}

function stopLive() {
  if (live) live.stop();
  live = null;
}

function logOut(message) {
  stopLive();
  session.token = null;
  sessionStorage.removeItem(PIPELINE_KEY);
  showLogin(message);
}

function failed(error) {
  if (error instanceof ApiError && error.code === "UNAUTHENTICATED") logOut(T.sessionExpired);
  else notify(error.message || T.unexpected);
}

// -- log in ------------------------------------------------------------

function showLogin(message) {
  document.title = `${T.logIn} · ${T.appName}`;
  const error = h("p", { class: "form-error", role: "alert" }, message || "");
  const form = h(
    "form",
    { class: "login", "aria-label": T.logIn },
    h("h1", {}, T.appName),
    h("label", { for: "login-email" }, T.email),
    h("input", { id: "login-email", name: "email", type: "email", autocomplete: "username", required: true }),
    h("label", { for: "login-password" }, T.password),
    h("input", {
      id: "login-password",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    }),
    error,
    h("button", { type: "submit", class: "primary" }, T.logIn),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    button.textContent = T.loggingIn;
    const data = new FormData(form);
    try {
      const result = await gql(LOG_IN, {
        input: { email: String(data.get("email")), password: String(data.get("password")) },
      });
      const payload = result.logIn;
      if (payload.token) {
        session.token = payload.token;
        await showApp();
        return;
      }
      error.textContent = payload.userErrors.map((e) => e.message).join(" ");
    } catch (problem) {
      error.textContent = problem.message || T.unexpected;
    }
    button.disabled = false;
    button.textContent = T.logIn;
  });
  app.replaceChildren(h("main", { class: "login-screen" }, form));
  form.querySelector("input").focus();
}

// -- the app shell -----------------------------------------------------

async function showApp() {
  let me;
  try {
    me = await gql(ME);
  } catch (error) {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") return logOut(T.sessionExpired);
    return showLogin(error.message);
  }
  const indicator = h("span", { class: "live-indicator", role: "status", dataset: { state: "stopped" } });
  const picker = h(
    "select",
    { id: "pipeline-picker", name: "pipeline" },
    me.pipelines.map((pipeline) => h("option", { value: pipeline.id }, pipeline.name)),
  );
  const boardRoot = h("main", { class: "board-root", id: "board" });
  const header = h(
    "header",
    { class: "topbar" },
    h("span", { class: "brand" }, T.appName),
    h("span", { class: "workspace" }, me.workspace.name),
    h("label", { for: "pipeline-picker", class: "picker-label" }, T.pipeline),
    picker,
    indicator,
    h("span", { class: "spacer" }),
    h("span", { class: "user" }, me.me ? me.me.name : ""),
    h("button", { type: "button", class: "link logout", onclick: () => logOut() }, T.logOut),
  );
  app.replaceChildren(header, boardRoot);
  if (!me.pipelines.length) {
    picker.disabled = true;
    boardRoot.append(h("p", { class: "empty" }, T.noPipelines));
    return;
  }
  const remembered = sessionStorage.getItem(PIPELINE_KEY);
  if (remembered && me.pipelines.some((p) => p.id === remembered)) picker.value = remembered;
  picker.addEventListener("change", () => openBoard(picker.value, boardRoot, indicator, me.workspace.currency));
  await openBoard(picker.value, boardRoot, indicator, me.workspace.currency);
}

function showStatus(indicator, state) {
  indicator.dataset.state = state;
  indicator.textContent = state === "live" ? T.live : state === "reconnecting" ? T.reconnecting : T.connecting;
  indicator.hidden = state === "stopped";
}

async function openBoard(pipelineId, root, indicator, currency) {
  stopLive();
  sessionStorage.setItem(PIPELINE_KEY, pipelineId);
  root.replaceChildren(h("p", { class: "empty" }, T.loading));
  let pipeline;
  try {
    pipeline = (await gql(BOARD, { id: pipelineId })).pipeline;
  } catch (error) {
    return failed(error);
  }
  if (!pipeline) {
    sessionStorage.removeItem(PIPELINE_KEY);
    root.replaceChildren(h("p", { class: "empty" }, T.notFound));
    return;
  }
  document.title = `${pipeline.name} · ${T.appName}`;
  // A fresh surface per board, so listeners of a previous board (and its
  // stale state) go away with it.
  const surface = h("div", { class: "board-surface" });
  root.replaceChildren(surface);
  const state = new BoardState(pipeline);
  const moves = new MoveController(state, null, notify);
  const view = new BoardView(surface, state, currency, {
    openMoveMenu: (dealId, button) => moves.openMoveMenu(dealId, button),
  });
  moves.view = view;
  view.render();
  moves.attach(surface);
  // Subscribing from the sequence read with the board: nothing is missed
  // between the read and the subscription, and nothing is applied twice.
  live = new LiveSubscription({
    url: websocketUrl(),
    token: () => session.token,
    query: BOARD_EVENTS,
    variables: () => ({ pipelineId, since: state.lastSequence }),
    onStatus: (status) => showStatus(indicator, status),
    onData: (data) => {
      const touched = state.apply(data.boardEvents);
      if (touched) view.refresh(touched);
    },
    onFailure: (reason, errors) => {
      if (reason === "rejected") logOut(T.sessionExpired);
      else notify((errors && errors[0] && errors[0].message) || T.unexpected);
    },
  });
  live.start();
}

if (session.token) showApp();
else showLogin();
