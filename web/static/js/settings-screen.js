// "Configurações" (#/config/<section>) for administrators: people and
// teams with invitations, pipelines and stage gates, roletas and members,
// automations with their runs, capture forms with their embed code, API keys;
// for managers, people and teams (inviting agents into their own teams) and
// the roletas that concern them. Each section is a function (shell, reload)
// -> Promise<Node> built from live data.

import { h } from "./dom.js";
import { automationsSection } from "./settings-automations.js";
import { formsSection } from "./settings-forms.js";
import { keysSection } from "./settings-keys.js";
import { peopleSection } from "./settings-people.js";
import { pipelinesSection } from "./settings-pipelines.js";
import { queuesSection } from "./settings-queues.js";
import { language } from "./i18n.js";
import { ST } from "./settings-labels.js";
import { S } from "./setup-labels.js";

const SECTIONS = [
  { key: "pessoas", build: peopleSection, managers: true },
  { key: "funis", build: pipelinesSection },
  { key: "roletas", build: queuesSection, managers: true },
  { key: "automacoes", build: automationsSection },
  { key: "formularios", build: formsSection },
  { key: "chaves", build: keysSection },
];

/** The sections a role sees: all for admins, people (invitations) and roletas for managers, none for agents. */
export function settingsSections(role) {
  if (role === "ADMIN") return SECTIONS;
  return role === "MANAGER" ? SECTIONS.filter((s) => s.managers) : [];
}

export class SettingsScreen {
  constructor(shell) {
    this.shell = shell;
  }

  async start(where) {
    await this.show(where);
  }

  async show(where) {
    document.title = `${S.settings} · RevGraph`;
    const sections = settingsSections(this.shell.me?.me?.role);
    const section = sections.find((s) => s.key === where.section) || sections[0];
    if (!section) {
      const refused = h("p", { class: "hint" }, ST.refused);
      this.shell.root.replaceChildren(h("div", { class: "setup-page settings" }, h("h1", {}, S.settings), refused));
      return;
    }
    const tabs = h(
      "nav",
      { class: "settings-tabs", "aria-label": S.settings },
      sections.map((s) =>
        h("a", { href: `#/config/${s.key}`, "aria-current": s === section ? "page" : null }, ST.sections[s.key]),
      ),
    );
    const body = h("div", { class: "settings-body" }, h("p", { class: "hint" }, ST.loading));
    this.shell.root.replaceChildren(h("div", { class: "setup-page settings" }, h("h1", {}, S.settings), tabs, body));
    const reload = async () => {
      try {
        body.replaceChildren(await section.build(this.shell, reload));
      } catch (error) {
        this.shell.failed(error);
      }
    };
    await reload();
  }

  stop() {}
}

/** A small table: headers, then rows of cells (strings or nodes). */
export function table(caption, headers, rows) {
  return h(
    "table",
    { class: "settings-table" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))),
  );
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString(language(), { dateStyle: "short", timeStyle: "short" }) : "—";
}
