// Charts with the vendored Chart.js (web/static/vendor/chartjs: a classic
// script, loaded once on demand, never from the network beyond this
// origin). One Chart per canvas, updated in place on every poll.

import { display } from "./dashboard-columns.js";
import { compactMoney } from "./report-format.js";

const SCRIPT = "/vendor/chartjs/chart.umd.js";
const PALETTE = ["#2457c5", "#1e7f4f", "#a35b00", "#b3261e", "#6b3fa0", "#00838f", "#5d6575", "#c2185b"];
let loading = null;

/** Chart.js, loaded the first time it is needed. */
export function loadCharts() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = SCRIPT;
      script.onload = () => resolve(window.Chart);
      script.onerror = () => {
        loading = null;
        reject(new Error("Chart.js did not load"));
      };
      document.head.append(script);
    });
  }
  return loading;
}

function config(spec, currency) {
  const label = (value) => display(spec.valueType, value, currency);
  const tick = (value) => (spec.valueType === "money" ? compactMoney(value, currency) : label(value));
  const round = spec.type === "doughnut";
  const dataset = {
    data: spec.values,
    backgroundColor: round ? spec.values.map((_, i) => PALETTE[i % PALETTE.length]) : PALETTE[0],
    borderColor: round ? "#ffffff" : PALETTE[0],
    fill: false,
    tension: 0.2,
  };
  const valueAxis = spec.horizontal ? "x" : "y";
  const options = {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    indexAxis: spec.horizontal ? "y" : "x",
    plugins: {
      legend: { display: round, position: "right" },
      tooltip: { callbacks: { label: (item) => ` ${label(item.raw)}` } },
    },
  };
  if (!round) {
    options.scales = {
      [valueAxis]: { beginAtZero: true, ticks: { precision: 0, callback: (value) => tick(value) } },
    };
  }
  return { type: spec.type, data: { labels: spec.labels, datasets: [dataset] }, options };
}

/** Draws the chart on the canvas, or updates the one already there. */
export function drawChart(Chart, canvas, spec, currency) {
  const existing = Chart.getChart(canvas);
  if (existing && existing.config.type === spec.type) {
    const next = config(spec, currency);
    existing.data.labels = next.data.labels;
    existing.data.datasets[0].data = next.data.datasets[0].data;
    existing.data.datasets[0].backgroundColor = next.data.datasets[0].backgroundColor;
    existing.update("none");
    return existing;
  }
  if (existing) existing.destroy();
  return new Chart(canvas, config(spec, currency));
}
