// How the dashboard says numbers, money, shares, durations and times in
// pt-BR, and which [from, to) a range choice covers in the workspace's
// zone. Pure functions (tested in the browser: tests/e2e/test_dashboard_logic.py).

import { addDays, knownZone, zonedDate, zonedParts } from "./clock.js";
import { LOCALE, money } from "./labels.js";

export { money };

const integerFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const percentFormat = new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 1 });
const decimalFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });

export const NONE = "—";

/** 1234 -> "1.234"; null -> "—". */
export function integer(value) {
  return value === null || value === undefined ? NONE : integerFormat.format(value);
}

/** A share in [0, 1] -> "66,7%"; null -> "—". */
export function percent(value) {
  return value === null || value === undefined ? NONE : percentFormat.format(value);
}

/** 4.25 -> "4,3"; null -> "—". */
export function decimal(value) {
  return value === null || value === undefined ? NONE : decimalFormat.format(value);
}

const compactFormats = new Map();

/** Money on a chart's axis: 300000 -> "R$ 300 mil", 1250000 -> "R$ 1,3 mi". */
export function compactMoney(amount, currency) {
  const code = currency || "BRL";
  if (!compactFormats.has(code)) {
    const options = { style: "currency", notation: "compact", maximumFractionDigits: 1 };
    let format;
    try {
      format = new Intl.NumberFormat(LOCALE, { ...options, currency: code });
    } catch {
      format = new Intl.NumberFormat(LOCALE, { ...options, currency: "BRL" });
    }
    compactFormats.set(code, format);
  }
  return compactFormats.get(code).format(Number(amount || 0));
}

const pad = (n) => String(n).padStart(2, "0");

/**
 * Whole seconds for people: "45 s", "12 min", "1 h 05 min", "3 d 04 h"
 * (each unit below the largest is cut, not rounded); null -> "—".
 */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return NONE;
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${pad(minutes % 60)} min`;
  return `${Math.floor(hours / 24)} d ${pad(hours % 24)} h`;
}

const timeFormats = new Map();

/** "14:32:05": the wall-clock time of an instant in the zone. */
export function clockTime(date, zone) {
  const key = knownZone(zone);
  if (!timeFormats.has(key)) {
    timeFormats.set(
      key,
      new Intl.DateTimeFormat(LOCALE, { timeZone: key, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }),
    );
  }
  return timeFormats.get(key).format(date);
}

/** "Atualizado às 14:32:05". */
export function asOf(date, zone) {
  return `Atualizado às ${clockTime(date, zone)}`;
}

/** "2026-12-06": the zone's calendar day (file names, date inputs). */
export function isoDay(date, zone) {
  const p = zonedParts(date, zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** "06/12/2026". */
export function brDay(isoDate) {
  const [year, month, day] = String(isoDate).split("-");
  return `${day}/${month}/${year}`;
}

function parseDay(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text || ""));
  if (!match) return null;
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

const dayOf = (d) => `${d.year}-${pad(d.month)}-${pad(d.day)}`;

/**
 * The report range of a choice, whole days in the workspace's zone, up to
 * the end of today (so daily charts stop today): "month" (since the 1st),
 * "last30" (today and the 29 days before), "year" (since 1 January),
 * "custom" (`first`..`last`, both included, "YYYY-MM-DD").
 * Returns {from, to (Date, excluded), first, last ("YYYY-MM-DD"), days} or
 * null for an incomplete or reversed custom range.
 */
export function reportRange(choice, now, zone, custom = {}) {
  const today = zonedParts(now, zone);
  let first = { year: today.year, month: today.month, day: 1 };
  let last = { year: today.year, month: today.month, day: today.day };
  if (choice === "last30") first = addDays(last, -29);
  else if (choice === "year") first = { year: today.year, month: 1, day: 1 };
  else if (choice === "custom") {
    first = parseDay(custom.first);
    last = parseDay(custom.last);
    if (!first || !last || dayOf(first) > dayOf(last)) return null;
  }
  const end = addDays(last, 1);
  const days = Math.round((Date.UTC(end.year, end.month - 1, end.day) - Date.UTC(first.year, first.month - 1, first.day)) / 86400000);
  return { from: zonedDate(first, zone), to: zonedDate(end, zone), first: dayOf(first), last: dayOf(last), days };
}

/** Leads per day up to two months, per week beyond. */
export function periodOf(range) {
  return range.days <= 62 ? "DAY" : "WEEK";
}
