// The user's corner of the header: their name opens a menu with "Sair de
// todos os dispositivos" (every session of the user, other browsers and API
// session tokens included); "Sair" beside it logs this browser out.

import { h } from "./dom.js";
import { T } from "./labels.js";

/**
 * @param {string} name the user's name
 * @param {{logOut: () => void, logOutEverywhere: () => void}} actions
 */
export function userMenu(name, actions) {
  const menu = h(
    "details",
    { class: "user-menu" },
    h("summary", { class: "account-name", "aria-label": `${T.userMenu}: ${name}` }, name),
    h(
      "div",
      { class: "menu", role: "menu" },
      h(
        "button",
        { type: "button", role: "menuitem", class: "link logout-everywhere", onclick: actions.logOutEverywhere },
        T.logOutEverywhere,
      ),
    ),
  );
  // Closes when a click or the focus goes elsewhere, as a menu does.
  document.addEventListener("click", (event) => {
    if (!menu.contains(event.target)) menu.open = false;
  });
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
  const logOut = h("button", { type: "button", class: "link logout", onclick: actions.logOut }, T.logOut);
  return h("span", { class: "account" }, menu, logOut);
}
