// What each dashboard card shows, from one poll's data: its figures
// ("tiles"), its table (typed columns: the screen formats them for people,
// csv.js for spreadsheets) and its chart. Pure: no DOM.

import { col, statsColumns } from "./dashboard-columns.js";
import { dealsByOwnerCard, forecastCard, negotiationCard } from "./dashboard-deal-cards.js";
import { TD } from "./dashboard-labels.js";
import { activityCard, distributionCard } from "./dashboard-people-cards.js";
import { decimal } from "./report-format.js";

export { display } from "./dashboard-columns.js";

const bucketRows = (buckets) => buckets.map((b) => ({ label: b.label, count: b.count }));

function bucketCard(id, title, file, keyLabel, buckets, chartType, horizontal = false, countLabel = TD.leads) {
  const rows = bucketRows(buckets);
  return {
    id,
    title,
    file,
    columns: [col("label", keyLabel), col("count", countLabel, "int")],
    rows,
    chart: { type: chartType, horizontal, labels: rows.map((r) => r.label), values: rows.map((r) => r.count), valueType: "int" },
  };
}

function funnelCard(funnel) {
  const rows = funnel.stages.map((s) => ({
    stage: s.stage.name,
    entered: s.entered,
    converted: s.converted,
    conversionRate: s.conversionRate,
    current: s.current,
    currentValue: s.currentValue,
  }));
  return {
    id: "funnel",
    title: TD.funnel,
    file: "funil",
    tiles: [
      { label: TD.won, type: "int", value: funnel.won },
      { label: TD.lost, type: "int", value: funnel.lost },
      { label: TD.wonValue, type: "money", value: funnel.wonValue },
      { label: TD.winRate, type: "percent", value: funnel.winRate },
    ],
    columns: [
      col("stage", TD.stage),
      col("entered", TD.entered, "int"),
      col("converted", TD.converted, "int"),
      col("conversionRate", `${TD.conversion} (%)`, "percent"),
      col("current", TD.current, "int"),
      col("currentValue", TD.currentValue, "money"),
    ],
    rows,
    chart: { type: "bar", horizontal: true, labels: rows.map((r) => r.stage), values: rows.map((r) => r.entered), valueType: "int" },
  };
}

function timeCard(funnel) {
  const rows = funnel.stages.map((s) => ({
    stage: s.stage.name,
    count: s.timeInStage.count,
    average: s.timeInStage.averageSeconds,
    median: s.timeInStage.medianSeconds,
    p90: s.timeInStage.p90Seconds,
  }));
  return {
    id: "time-in-stage",
    title: TD.timeInStage,
    file: "tempo-na-etapa",
    columns: statsColumns(col("stage", TD.stage), TD.stays),
    rows,
    chart: { type: "bar", labels: rows.map((r) => r.stage), values: rows.map((r) => r.median), valueType: "seconds" },
  };
}

function lossCard(funnel) {
  const rows = funnel.lossReasons.map((b) => ({ label: b.label, count: b.count }));
  return {
    id: "losses",
    title: TD.losses,
    file: "perdas-por-motivo",
    columns: [col("label", TD.reason), col("count", TD.deals, "int")],
    rows,
    chart: { type: "doughnut", labels: rows.map((r) => r.label), values: rows.map((r) => r.count), valueType: "int" },
  };
}

const MEASURES = ["firstResponse", "waitTime", "handleTime", "resolution"];

function serviceCard(report) {
  const judged = report.slaMet + report.slaBreached;
  const rows = MEASURES.map((key) => ({
    measure: TD[key],
    count: report[key].count,
    average: report[key].averageSeconds,
    median: report[key].medianSeconds,
    p90: report[key].p90Seconds,
  }));
  return {
    id: "service",
    title: TD.service,
    file: "atendimento",
    tiles: [
      { label: TD.conversations, type: "int", value: report.conversations },
      { label: TD.resolved, type: "int", value: report.resolved },
      { label: TD.sla, type: "percent", value: judged ? report.slaMet / judged : null },
      {
        label: TD.csat,
        type: "text",
        value: report.csatAverage === null ? null : TD.csatOf(decimal(report.csatAverage), report.csatResponses),
      },
    ],
    columns: statsColumns(col("measure", TD.measure), TD.conversations),
    rows,
    chart: { type: "bar", labels: rows.map((r) => r.measure), values: rows.map((r) => r.average), valueType: "seconds" },
  };
}

/**
 * The cards of one poll's data, in screen order. `people`: the ids of the
 * people the team/corretor filters select (null: no such filter), for the
 * reports that cannot narrow by them themselves.
 */
export function dashboardCards(data, period, people = null) {
  const cards = [];
  if (data.funnel) cards.push(funnelCard(data.funnel));
  if (data.snapshot) cards.push(negotiationCard(data.snapshot), forecastCard(data.snapshot));
  if (data.dealsByOwner) cards.push(dealsByOwnerCard(data.dealsByOwner));
  const perDay = period === "DAY";
  cards.push(
    bucketCard("by-period", perDay ? TD.byDay : TD.byWeek, perDay ? "leads-por-dia" : "leads-por-semana", TD.period, data.byPeriod, "line"),
    bucketCard("by-source", TD.bySource, "leads-por-canal", TD.source, data.bySource, "bar", true),
    bucketCard("by-owner", TD.byOwner, "leads-por-corretor", TD.owner, data.byOwner, "bar", true),
  );
  if (data.funnel) cards.push(lossCard(data.funnel), timeCard(data.funnel));
  cards.push(
    bucketCard(
      "appointments",
      perDay ? TD.visitsByDay : TD.visitsByWeek,
      perDay ? "visitas-por-dia" : "visitas-por-semana",
      TD.period,
      data.appointments,
      "line",
      false,
      TD.visits,
    ),
  );
  if (data.inboxReport) cards.push(serviceCard(data.inboxReport));
  cards.push(distributionCard(data.distributionReport, people), activityCard(data.activityReport, people));
  return cards;
}
