// The typed columns of the dashboard's tables, shared by every card module:
// the screen formats a column's values for people (display), csv.js for
// spreadsheets. Pure: no DOM.

import { TD } from "./dashboard-labels.js";
import { duration, integer, money, percent } from "./report-format.js";

/** Column types: text, int, money, percent (a share in [0, 1]), seconds (a duration). */
export function display(type, value, currency) {
  if (type === "int") return integer(value);
  if (type === "money") return money(value, currency);
  if (type === "percent") return percent(value);
  if (type === "seconds") return duration(value);
  return value === null || value === undefined || value === "" ? "—" : String(value);
}

export const col = (key, label, type = "text") => ({
  key,
  label,
  type,
  csvLabel: type === "seconds" ? `${label} (s)` : label,
});

/** A DurationStats table's columns after the row's name. */
export const statsColumns = (name, countLabel) => [
  name,
  col("count", countLabel, "int"),
  col("average", TD.average, "seconds"),
  col("median", TD.median, "seconds"),
  col("p90", TD.p90, "seconds"),
];

/** A chart's values: Decimal strings ("1250.50") made numbers, null kept. */
export const amounts = (values) => values.map((value) => (value === null || value === undefined ? null : Number(value)));

/** A bar chart's spec (see charts.js): a bar per label, horizontal unless told. */
export const bars = (labels, values, valueType, horizontal = true) => ({ type: "bar", horizontal, labels, values, valueType });
