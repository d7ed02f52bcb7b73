// The header's one search box: contacts (name, e-mail, phone digits or
// number), companies (name, domain) and deals (title or number), a few of
// each, as links to their pages. Arrow keys walk the results, Escape
// closes them, Enter opens the first.

import { gql } from "./api.js";
import { h } from "./dom.js";
import { phone } from "./record-format.js";
import { SEARCH } from "./record-documents.js";
import { R } from "./record-labels.js";
import { nodes } from "./record-page.js";
import { recordHash } from "./routes.js";

const WAIT_MS = 250;
const MIN_LENGTH = 2;

export function searchBox(shell) {
  const input = h("input", {
    id: "global-search",
    type: "search",
    name: "q",
    autocomplete: "off",
    placeholder: R.searchPlaceholder,
    "aria-controls": "global-search-results",
    "aria-describedby": "global-search-hint",
  });
  const results = h("div", { id: "global-search-results", class: "search-results", hidden: true, "aria-label": R.searchResults });
  const status = h("span", { id: "global-search-hint", class: "visually-hidden", "aria-live": "polite" }, R.searchHint);
  const form = h(
    "form",
    { class: "search-box", role: "search", "aria-label": R.search },
    h("label", { for: "global-search", class: "visually-hidden" }, R.search),
    input,
    status,
    results,
  );
  let timer = null;
  let asked = 0;

  const links = () => [...results.querySelectorAll("a")];
  const close = () => {
    results.hidden = true;
  };

  async function run(text) {
    const mine = ++asked;
    let data;
    try {
      data = await gql(SEARCH, { text });
    } catch (error) {
      return shell.failed(error);
    }
    if (mine !== asked) return;
    const groups = [
      [R.contacts, nodes(data.contacts), (c) => ["contact", c.id, c.name, [c.email, c.phone && phone(c.phone)].filter(Boolean).join(" · ")]],
      [R.companies, nodes(data.companies), (c) => ["company", c.id, c.name, c.domain || ""]],
      [R.deals, nodes(data.deals), (d) => ["deal", d.id, d.title, `#${d.number} · ${d.stage.name}`]],
    ].filter(([, items]) => items.length);
    const count = groups.reduce((sum, [, items]) => sum + items.length, 0);
    status.textContent = count ? `${count} ${R.searchResults.toLowerCase()}` : R.noResults;
    results.replaceChildren(
      ...(groups.length
        ? groups.map(([title, items, describe]) =>
            h(
              "section",
              { class: "search-group" },
              h("h2", {}, title),
              h(
                "ul",
                { "aria-label": title },
                items.map((item) => {
                  const [screen, id, name, detail] = describe(item);
                  return h(
                    "li",
                    {},
                    h("a", { href: recordHash(screen, id), dataset: { kind: screen } }, h("span", { class: "result-name" }, name), detail ? h("span", { class: "row-meta" }, detail) : null),
                  );
                }),
              ),
            ),
          )
        : [h("p", { class: "muted" }, R.noResults)]),
    );
    results.hidden = false;
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (text.length < MIN_LENGTH) {
      asked++;
      close();
      return;
    }
    timer = setTimeout(() => run(text), WAIT_MS);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const first = links()[0];
    if (first) first.click();
  });
  form.addEventListener("keydown", (event) => {
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (event.key === "Escape") {
      close();
      input.focus();
    } else if (event.key === "ArrowDown" && all.length) {
      event.preventDefault();
      all[Math.min(at + 1, all.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      if (at === 0) input.focus();
      else all[at - 1].focus();
    }
  });
  results.addEventListener("click", (event) => {
    if (event.target.closest("a")) {
      close();
      input.value = "";
    }
  });
  document.addEventListener("click", (event) => {
    if (!form.contains(event.target)) close();
  });
  form.addEventListener("focusout", (event) => {
    if (event.relatedTarget && !form.contains(event.relatedTarget)) close();
  });
  return form;
}
