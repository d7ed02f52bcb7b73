// The dashboard screen ("Painel", #/dashboard): range, pipeline and (for
// managers and admins) team and corretor pickers; the cards of one report
// query, polled every 15 s while the tab is visible, with the time of the
// figures shown ("Atualizado às 14:32:05"). A failed poll keeps the last
// figures and says so discreetly; the next poll tries again.

import { gql } from "./api.js";
import { loadCharts } from "./charts.js";
import { CHOICES } from "./documents.js";
import { dashboardCards } from "./dashboard-cards.js";
import { DASHBOARD, DASHBOARD_SETUP } from "./dashboard-documents.js";
import { TD } from "./dashboard-labels.js";
import { DashboardView } from "./dashboard-view.js";
import { field, h } from "./dom.js";
import { T } from "./labels.js";
import { asOf, clockTime, isoDay, periodOf, reportRange } from "./report-format.js";

export const POLL_MS = 15000;
const FILTER_KEY = "revgraph.dashboard";
const DEFAULTS = { range: "month", first: "", last: "", pipelineId: "", teamId: "", ownerId: "" };

function remembered() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(FILTER_KEY) || "{}");
    const spec = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS)) if (typeof saved[key] === "string") spec[key] = saved[key];
    return spec;
  } catch {
    return { ...DEFAULTS };
  }
}

/** The team and every team below it: their members' ids. */
export function subtreeMembers(teams, teamId) {
  const ids = new Set([teamId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const team of teams) {
      if (team.parent && ids.has(team.parent.id) && !ids.has(team.id)) {
        ids.add(team.id);
        grew = true;
      }
    }
  }
  const members = new Set();
  for (const team of teams) if (ids.has(team.id)) for (const member of team.members) members.add(member.id);
  return [...members];
}

export class DashboardScreen {
  /** @param shell what main.js gives a screen (see BoardScreen) */
  constructor(shell) {
    this.shell = shell;
    this.zone = shell.me.workspace.timezone;
    this.spec = remembered();
    this.token = 0;
    this.timer = null;
    this.teams = [];
    this.onVisibility = () => this.visibilityChanged();
  }

  get manages() {
    const me = this.shell.me.me;
    return Boolean(me && (me.role === "ADMIN" || me.role === "MANAGER"));
  }

  async start() {
    document.title = `${TD.dashboard} · ${T.appName}`;
    const pipelines = this.shell.me.pipelines;
    if (!pipelines.some((p) => p.id === this.spec.pipelineId)) this.spec.pipelineId = pipelines.length ? pipelines[0].id : "";
    this.asOf = h("p", { class: "as-of", role: "status" });
    this.warning = h("p", { class: "stale", role: "alert", hidden: true });
    this.cardsRoot = h("div", { class: "cards" }, h("p", { class: "empty" }, T.loading));
    this.form = h("form", { class: "dashboard-filters", role: "search", "aria-label": TD.filters });
    this.shell.root.replaceChildren(
      h("div", { class: "dashboard" }, this.form, h("div", { class: "freshness" }, this.asOf, this.warning), this.cardsRoot),
    );
    let owners = [];
    try {
      const [Chart, setup, users] = await Promise.all([
        loadCharts().catch(() => null),
        this.manages ? gql(DASHBOARD_SETUP) : null,
        this.manages ? gql(CHOICES.owner) : null,
      ]);
      this.Chart = Chart;
      if (setup) this.teams = setup.teams;
      if (users) owners = users.users.edges.map((edge) => edge.node);
    } catch (error) {
      return this.shell.failed(error);
    }
    if (this.stopped) return;
    this.buildFilters(pipelines, owners);
    this.view = new DashboardView(this.cardsRoot, {
      currency: this.shell.me.workspace.currency,
      today: () => isoDay(new Date(), this.zone),
      Chart: this.Chart,
    });
    document.addEventListener("visibilitychange", this.onVisibility);
    await this.poll();
  }

  show() {}

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    document.removeEventListener("visibilitychange", this.onVisibility);
    if (this.view) this.view.stop();
  }

  buildFilters(pipelines, owners) {
    const spec = this.spec;
    const select = (name, options, value) =>
      h("select", { name }, options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
    const range = select("range", Object.entries(TD.ranges), spec.range);
    const first = h("input", { type: "date", name: "first", value: spec.first });
    const last = h("input", { type: "date", name: "last", value: spec.last });
    const custom = h("div", { class: "custom-range" }, field(TD.from, first), field(TD.to, last));
    const pipeline = select("pipelineId", pipelines.map((p) => [p.id, p.name]), spec.pipelineId);
    const controls = [field(TD.range, range), custom, field(T.pipeline, pipeline)];
    if (this.manages) {
      const everyone = ["", TD.everyone];
      controls.push(field(TD.team, select("teamId", [everyone, ...this.teams.map((t) => [t.id, t.name])], spec.teamId)));
      controls.push(field(TD.owner, select("ownerId", [everyone, ...owners.map((u) => [u.id, u.name])], spec.ownerId)));
    }
    this.form.replaceChildren(...controls);
    custom.hidden = spec.range !== "custom";
    this.form.addEventListener("submit", (event) => event.preventDefault());
    this.form.addEventListener("change", () => {
      const data = new FormData(this.form);
      for (const key of Object.keys(DEFAULTS)) if (data.has(key)) this.spec[key] = String(data.get(key));
      custom.hidden = this.spec.range !== "custom";
      sessionStorage.setItem(FILTER_KEY, JSON.stringify(this.spec));
      this.poll();
    });
  }

  variables(range) {
    const spec = this.spec;
    const variables = {
      pipelineId: spec.pipelineId || "none",
      range: { from: range.from.toISOString(), to: range.to.toISOString() },
      period: periodOf(range),
      visitPeriod: periodOf(range),
      teamId: (this.manages && spec.teamId) || null,
      ownerId: (this.manages && spec.ownerId) || null,
      leads: null,
      withFunnel: Boolean(spec.pipelineId),
    };
    const owners = [];
    if (variables.ownerId) owners.push({ ownerId: { eq: variables.ownerId } });
    if (variables.teamId) owners.push({ ownerId: { in: subtreeMembers(this.teams, variables.teamId) } });
    if (owners.length) variables.leads = owners.length === 1 ? owners[0] : { and: owners };
    return variables;
  }

  /** The ids of the people the team and corretor filters select; null without either. */
  people(variables) {
    let people = null;
    if (variables.teamId) people = subtreeMembers(this.teams, variables.teamId);
    if (variables.ownerId) people = people ? people.filter((id) => id === variables.ownerId) : [variables.ownerId];
    return people;
  }

  /** Reads every figure now, shows them, and plans the next poll. */
  async poll() {
    clearTimeout(this.timer);
    this.timer = null;
    const token = ++this.token;
    const range = reportRange(this.spec.range, new Date(), this.zone, this.spec);
    if (!range) {
      this.warning.hidden = false;
      this.warning.textContent = TD.badRange;
      return;
    }
    const variables = this.variables(range);
    let data = null;
    let failure = null;
    try {
      data = await gql(DASHBOARD, variables);
    } catch (error) {
      failure = error;
    }
    if (token !== this.token || this.stopped) return;
    if (failure) this.failed(failure);
    else this.shown(data, variables.period, this.people(variables));
    if (!document.hidden) this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  shown(data, period, people) {
    this.at = new Date();
    this.view.render(dashboardCards(data, period, people));
    this.asOf.textContent = asOf(this.at, this.zone);
    this.asOf.dataset.at = this.at.toISOString();
    this.warning.hidden = true;
  }

  failed(error) {
    if (error.code === "UNAUTHENTICATED" || !this.at) return this.shell.failed(error);
    this.warning.hidden = false;
    this.warning.textContent = TD.stale(clockTime(this.at, this.zone));
  }

  visibilityChanged() {
    if (this.stopped) return;
    if (document.hidden) {
      clearTimeout(this.timer);
      this.timer = null;
    } else if (!this.timer) {
      this.poll();
    }
  }
}
