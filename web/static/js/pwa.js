// The installable app: registers the service worker (/sw.js) that keeps the
// app shell for starting offline. It never serves data (see sw.js).

export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
    // Without it the app works as before, online only.
  });
}
