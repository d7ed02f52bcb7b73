// The dashboard's cards on screen: each with its figures, chart, table and
// a "Baixar CSV" button; built once, then refreshed in place on each poll
// (charts updated, not redrawn from scratch).

import { drawChart } from "./charts.js";
import { csvFileName, download, toCsv } from "./csv.js";
import { display } from "./dashboard-columns.js";
import { TD } from "./dashboard-labels.js";
import { h } from "./dom.js";

export class DashboardView {
  /**
   * @param {HTMLElement} root where the cards go
   * @param {object} options {currency, today: () => "YYYY-MM-DD", Chart: Chart.js or null}
   */
  constructor(root, options) {
    this.root = root;
    this.options = options;
    this.cards = new Map();
  }

  /** Shows the cards of a poll, in order; cards no longer there go. */
  render(cards) {
    const order = [];
    for (const card of cards) {
      let shown = this.cards.get(card.id);
      if (!shown) {
        shown = this.build(card);
        this.cards.set(card.id, shown);
      }
      shown.card = card;
      this.fill(shown);
      order.push(shown.element);
    }
    for (const [id, shown] of this.cards) {
      if (!cards.some((card) => card.id === id)) {
        this.cards.delete(id);
        shown.element.remove();
      }
    }
    this.root.replaceChildren(...order);
  }

  build(card) {
    const shown = {};
    shown.title = h("h2", { id: `card-${card.id}-title` }, card.title);
    shown.button = h(
      "button",
      { type: "button", class: "link csv", onclick: () => this.download(shown.card) },
      TD.downloadCsv,
    );
    shown.tiles = h("dl", { class: "tiles" });
    shown.canvas = h("canvas", { role: "img" });
    shown.chart = h("div", { class: "chart" }, shown.canvas);
    shown.table = h("table", { class: "report-table" });
    shown.element = h(
      "section",
      { class: "card", id: `card-${card.id}`, "aria-labelledby": `card-${card.id}-title`, dataset: { card: card.id } },
      h("header", { class: "card-head" }, shown.title, shown.button),
      shown.tiles,
      shown.chart,
      h("div", { class: "table-scroll" }, shown.table),
    );
    return shown;
  }

  fill(shown) {
    const card = shown.card;
    const currency = this.options.currency;
    shown.title.textContent = card.title;
    shown.button.setAttribute("aria-label", TD.downloadCsvOf(card.title));
    shown.tiles.hidden = !card.tiles;
    shown.tiles.replaceChildren(
      ...(card.tiles || []).map((tile) =>
        h("div", { class: "tile" }, h("dt", {}, tile.label), h("dd", {}, display(tile.type, tile.value, currency))),
      ),
    );
    shown.table.replaceChildren(
      h("thead", {}, h("tr", {}, card.columns.map((c) => h("th", { scope: "col", class: `col-${c.type}` }, c.label)))),
      h(
        "tbody",
        {},
        card.rows.length
          ? card.rows.map((row) =>
              h(
                "tr",
                { class: row.total ? "total-row" : null },
                card.columns.map((c) => h("td", { class: `col-${c.type}` }, display(c.type, row[c.key], currency))),
              ),
            )
          : h("tr", {}, h("td", { colspan: card.columns.length, class: "empty-row" }, TD.noData)),
      ),
    );
    shown.canvas.setAttribute("aria-label", TD.chartOf(card.title));
    const empty = !card.chart.values.some((value) => value);
    shown.chart.hidden = !card.rows.length || (empty && card.chart.type === "doughnut");
    if (this.options.Chart) drawChart(this.options.Chart, shown.canvas, card.chart, currency);
  }

  download(card) {
    download(toCsv(card.columns, card.rows), csvFileName(card.file, this.options.today()));
  }

  stop() {
    if (!this.options.Chart) return;
    for (const shown of this.cards.values()) {
      const chart = this.options.Chart.getChart(shown.canvas);
      if (chart) chart.destroy();
    }
  }
}
