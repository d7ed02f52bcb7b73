// The service worker of the installed app (PWA): it keeps the app shell
// (the page, its styles, scripts and icons) so the app starts without a
// network; data never comes from here. /graphql, /session(s), exports,
// uploads and every other API path are not handled at all: the browser
// fetches them as if there were no worker. The shell is network-first, so
// a deploy shows up at the next load while online.

const CACHE = "revgraph-shell-v1";

// Every file the page loads. tests/web/test_pwa.py checks that each module
// of js/ and each stylesheet is listed.
const SHELL = [
  "/index.html",
  "/manifest.webmanifest",
  "/board.css",
  "/inbox.css",
  "/dashboard.css",
  "/records.css",
  "/search.css",
  "/setup.css",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/vendor/chartjs/chart.umd.js",
  "/js/api.js",
  "/js/board-screen.js",
  "/js/board-state.js",
  "/js/board-view.js",
  "/js/charts.js",
  "/js/clock.js",
  "/js/company-screen.js",
  "/js/contact-screen.js",
  "/js/conversation-actions.js",
  "/js/csv.js",
  "/js/dashboard-cards.js",
  "/js/dashboard-columns.js",
  "/js/dashboard-deal-cards.js",
  "/js/dashboard-documents.js",
  "/js/dashboard-labels.js",
  "/js/dashboard-people-cards.js",
  "/js/dashboard-screen.js",
  "/js/dashboard-view.js",
  "/js/deal-screen.js",
  "/js/documents.js",
  "/js/dom.js",
  "/js/drafts.js",
  "/js/first-run-screen.js",
  "/js/i18n.js",
  "/js/inbox-documents.js",
  "/js/inbox-labels.js",
  "/js/inbox-screen.js",
  "/js/inbox-state.js",
  "/js/inbox-view.js",
  "/js/invite-form.js",
  "/js/labels.js",
  "/js/live.js",
  "/js/main.js",
  "/js/moves.js",
  "/js/my-day-screen.js",
  "/js/pwa.js",
  "/js/record-documents.js",
  "/js/record-format.js",
  "/js/record-forms.js",
  "/js/record-labels.js",
  "/js/record-page.js",
  "/js/record-screen.js",
  "/js/record-specs.js",
  "/js/reply-box.js",
  "/js/report-format.js",
  "/js/reset-password.js",
  "/js/routes.js",
  "/js/search-box.js",
  "/js/session.js",
  "/js/settings-automations.js",
  "/js/settings-confirm.js",
  "/js/settings-documents.js",
  "/js/settings-form-editor.js",
  "/js/settings-forms.js",
  "/js/settings-keys.js",
  "/js/settings-labels.js",
  "/js/settings-people.js",
  "/js/settings-pipelines.js",
  "/js/settings-queue-members.js",
  "/js/settings-queues.js",
  "/js/settings-screen.js",
  "/js/setup-documents.js",
  "/js/setup-forms.js",
  "/js/setup-labels.js",
  "/js/signup-screen.js",
  "/js/task-gate.js",
  "/js/task-list.js",
  "/js/template-picker.js",
  "/js/thread-state.js",
  "/js/thread-view.js",
  "/js/timeline-view.js",
  "/js/toasts.js",
  "/js/transfer-dialog.js",
  "/js/user-menu.js",
];

const SHELL_PATHS = new Set(SHELL);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

function isShell(request) {
  if (request.method !== "GET") return false;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.search) return false;
  return SHELL_PATHS.has(url.pathname) || (request.mode === "navigate" && url.pathname === "/");
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (offline) {
    const cached = await cache.match(request, { ignoreVary: true });
    if (cached) return cached;
    throw offline;
  }
}

self.addEventListener("fetch", (event) => {
  if (isShell(event.request)) event.respondWith(networkFirst(event.request));
});
