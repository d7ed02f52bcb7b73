// Short notices at the foot of the screen: what went wrong, said once and
// never silently dropped.

import { h } from "./dom.js";

const SHOWN_MS = 6000;

/** Shows a toast; `detail` (the server's own words) goes on a second line. */
export function notify(message, detail = null) {
  const toasts = document.getElementById("toasts");
  const toast = h(
    "p",
    { class: "toast", role: "alert" },
    h("span", { class: "toast-message" }, message),
    detail && detail !== message ? h("span", { class: "toast-detail" }, detail) : null,
  );
  toasts.append(toast);
  setTimeout(() => toast.remove(), SHOWN_MS);
  return toast;
}
