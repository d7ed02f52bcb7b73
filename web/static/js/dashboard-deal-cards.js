// The dashboard's deal cards, from one poll's data: the open deals now
// ("Propostas em negociação", pipelineSnapshot), their forecast by expected
// close month (its `forecast` buckets) and the deals created, won and lost
// per corretor in the range (dealReport by OWNER). Pure: no DOM.

import { amounts, bars, col } from "./dashboard-columns.js";
import { TD } from "./dashboard-labels.js";

/** Propostas em negociação: per OPEN stage, then a total row (in the table and the CSV). */
export function negotiationCard(snapshot) {
  const rows = snapshot.stages.map((s) => ({
    stage: s.stage.name,
    count: s.count,
    value: s.value,
    weightedValue: s.weightedValue,
  }));
  const total = { stage: TD.total, count: snapshot.count, value: snapshot.value, weightedValue: snapshot.weightedValue, total: true };
  return {
    id: "negotiation",
    title: TD.negotiation,
    file: TD.negotiationFile,
    tiles: [
      { label: TD.openDeals, type: "int", value: snapshot.count },
      { label: TD.value, type: "money", value: snapshot.value },
      { label: TD.weightedValue, type: "money", value: snapshot.weightedValue },
    ],
    columns: [
      col("stage", TD.stage),
      col("count", TD.quantity, "int"),
      col("value", TD.value, "money"),
      col("weightedValue", TD.weightedValue, "money"),
    ],
    rows: [...rows, total],
    chart: bars(rows.map((r) => r.stage), amounts(rows.map((r) => r.value)), "money"),
  };
}

/** The forecast bucket's month for people: "Sem data" for the deals without one. */
export const forecastMonth = (bucket) => (bucket.key === "" ? TD.noDate : bucket.label);

/** Previsão de fechamento: the weighted open value per expected close month. */
export function forecastCard(snapshot) {
  const rows = snapshot.forecast.map((b) => ({ month: forecastMonth(b), count: b.count, value: b.value }));
  return {
    id: "forecast",
    title: TD.forecast,
    file: TD.forecastFile,
    columns: [col("month", TD.month), col("count", TD.deals, "int"), col("value", TD.weightedValue, "money")],
    rows,
    chart: bars(rows.map((r) => r.month), amounts(rows.map((r) => r.value)), "money", false),
  };
}

/** Negócios por corretor: created, won and lost in the range, with their values. */
export function dealsByOwnerCard(buckets) {
  const rows = buckets.map((b) => ({
    owner: b.label,
    created: b.created,
    createdValue: b.createdValue,
    won: b.won,
    wonValue: b.wonValue,
    lost: b.lost,
    lostValue: b.lostValue,
  }));
  return {
    id: "deals-by-owner",
    title: TD.dealsByOwner,
    file: TD.dealsByOwnerFile,
    columns: [
      col("owner", TD.owner),
      col("created", TD.created, "int"),
      col("createdValue", TD.createdValue, "money"),
      col("won", TD.won, "int"),
      col("wonValue", TD.wonValue, "money"),
      col("lost", TD.lost, "int"),
      col("lostValue", TD.lostValue, "money"),
    ],
    rows,
    chart: bars(rows.map((r) => r.owner), amounts(rows.map((r) => r.wonValue)), "money"),
  };
}
