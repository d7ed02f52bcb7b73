// The web app: log in, then the board ("Quadro"), the inbox
// ("Conversas") or the dashboard ("Painel"), chosen by the URL's hash so a reload keeps the place.
// Plain ES modules served as they are: no build step.

import { ApiError, gql, session } from "./api.js";
import { BoardScreen, PIPELINE_KEY } from "./board-screen.js";
import { CompanyScreen } from "./company-screen.js";
import { ContactScreen } from "./contact-screen.js";
import { DashboardScreen } from "./dashboard-screen.js";
import { DealScreen } from "./deal-screen.js";
import { h } from "./dom.js";
import { ME } from "./documents.js";
import { InboxScreen } from "./inbox-screen.js";
import { T } from "./labels.js";
import { FirstRunScreen } from "./first-run-screen.js";
import { useAccountLanguage } from "./i18n.js";
import { MyDayScreen } from "./my-day-screen.js";
import { R } from "./record-labels.js";
import { invitationToken, parseRoute, routeHash } from "./routes.js";
import { searchBox } from "./search-box.js";
import { SettingsScreen } from "./settings-screen.js";
import { S } from "./setup-labels.js";
import { showInvitation, showSignUp } from "./signup-screen.js";
import { notify } from "./toasts.js";
import { registerServiceWorker } from "./pwa.js";
import { userMenu } from "./user-menu.js";

const app = document.getElementById("app");
let screen = null;
let shell = null;

function stopScreen() {
  if (screen) screen.stop();
  screen = null;
}

// Back to the log-in form; `end` also ends the session on the server (this
// browser's, or with "everywhere" every session of the user).
function logOut(message, end = null) {
  stopScreen();
  shell = null;
  sessionStorage.removeItem(PIPELINE_KEY);
  showLogin(message);
  if (end) session.logOut(end).catch(() => notify(T.unexpected));
}

// Another tab logged in or out: follow it.
session.onChange((what) => {
  if (what === "logged-out" && shell) logOut(T.loggedOutElsewhere);
  else if (what === "logged-in" && !shell) showApp();
});

function failed(error) {
  if (error instanceof ApiError && error.code === "UNAUTHENTICATED") logOut(T.sessionExpired, {});
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
      const answer = await session.logIn(String(data.get("email")), String(data.get("password")));
      if (answer.user) {
        await showApp();
        return;
      }
      error.textContent = (answer.errors || []).map((e) => e.message).join(" ") || T.unexpected;
    } catch (problem) {
      error.textContent = problem.message || T.unexpected;
    }
    button.disabled = false;
    button.textContent = T.logIn;
  });
  const signUp = h("p", { class: "signup-offer" }, `${S.noAccount} `, h("button", { type: "button", class: "link", onclick: showCreateAccount }, S.createAccount));
  app.replaceChildren(h("main", { class: "login-screen" }, h("div", { class: "login-stack" }, form, signUp)));
  form.querySelector("input").focus();
}

// Started from the installed app's cache with no server in reach.
function showOffline() {
  document.title = `${T.offline} · ${T.appName}`;
  const retry = h("button", { type: "button", class: "primary", onclick: () => showApp() }, T.tryAgain);
  app.replaceChildren(
    h("main", { class: "login-screen" }, h("div", { class: "login", role: "alert" }, h("h1", {}, T.appName), h("p", {}, T.offline), retry)),
  );
}

function showCreateAccount() {
  showSignUp(app, {
    loggedIn: () => {
      history.replaceState(null, "", routeHash("setup"));
      return showApp();
    },
    backToLogin: () => showLogin(),
  });
}

// -- the app shell -----------------------------------------------------

function showStatus(indicator, state) {
  indicator.dataset.state = state;
  indicator.textContent = state === "live" ? T.live : state === "reconnecting" ? T.reconnecting : T.connecting;
  indicator.hidden = state === "stopped";
}

async function showApp() {
  let me;
  try {
    me = await gql(ME);
  } catch (error) {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") return logOut(T.sessionExpired, {});
    if (error instanceof ApiError && error.code === "NETWORK") return showOffline();
    return showLogin(error.message);
  }
  // Labels from here on speak the account's language (i18n.js).
  useAccountLanguage(me.me && me.me.locale, me.workspace && me.workspace.defaultLocale);
  const indicator = h("span", { class: "live-indicator", role: "status", hidden: true, dataset: { state: "stopped" } });
  const nav = h(
    "nav",
    { class: "screens", "aria-label": T.screens },
    h("a", { href: routeHash("day"), dataset: { screen: "day" } }, R.myDay),
    h("a", { href: routeHash("board"), dataset: { screen: "board" } }, T.board),
    h("a", { href: routeHash("inbox"), dataset: { screen: "inbox" } }, T.inbox),
    h("a", { href: routeHash("dashboard"), dataset: { screen: "dashboard" } }, T.dashboard),
    me.me && ["ADMIN", "MANAGER"].includes(me.me.role)
      ? h("a", { href: routeHash("settings"), dataset: { screen: "settings" } }, S.settings)
      : null,
  );
  const slot = h("span", { class: "screen-controls" });
  const root = h("main", { class: "screen-root" });
  const search = h("span", { class: "search-slot" });
  const header = h(
    "header",
    { class: "topbar" },
    h("span", { class: "brand" }, T.appName),
    h("span", { class: "workspace" }, me.workspace.name),
    nav,
    search,
    slot,
    indicator,
    h("span", { class: "spacer" }),
    userMenu(me.me ? me.me.name : "", {
      logOut: () => logOut(null, {}),
      logOutEverywhere: () => logOut(T.loggedOutEverywhere, { everywhere: true }),
    }),
  );
  app.replaceChildren(header, root);
  shell = {
    me,
    nav,
    root,
    slot,
    setStatus: (status) => showStatus(indicator, status),
    notify,
    failed,
    rejected: () => logOut(T.sessionExpired, {}),
  };
  search.replaceChildren(searchBox(shell));
  screen = null;
  await route();
}

async function route() {
  if (!shell) return;
  const where = parseRoute(location.hash);
  for (const link of shell.nav.querySelectorAll("a")) {
    if (link.dataset.screen === where.screen) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (screen && screen.name === where.screen) return screen.show(where);
  stopScreen();
  shell.slot.replaceChildren();
  const Screen =
    {
      inbox: InboxScreen,
      dashboard: DashboardScreen,
      day: MyDayScreen,
      contact: ContactScreen,
      deal: DealScreen,
      company: CompanyScreen,
      setup: FirstRunScreen,
      settings: SettingsScreen,
    }[where.screen] || BoardScreen;
  screen = new Screen(shell);
  screen.name = where.screen;
  await screen.start(where);
}

// An invitation link opens its page even in a tab already on the app (a hash change, no reload).
function openInvitation() {
  const token = invitationToken(location.hash);
  if (!token) return false;
  stopScreen();
  shell = null;
  showInvitation(app, token, { loggedIn: () => showApp(), backToLogin: () => showLogin() });
  return true;
}

window.addEventListener("hashchange", () => openInvitation() || route());

registerServiceWorker();
if (!openInvitation()) {
  if (session.csrf) showApp();
  else showLogin();
}
