// How the record pages say instants, days and phones in pt-BR, in the
// workspace's zone (São Paulo unless it says otherwise), and how a
// date-time input's wall-clock value becomes an instant there.

import { addDays, knownZone, zonedDate, zonedParts } from "./clock.js";
import { LOCALE } from "./labels.js";

const NONE = "—";
const formats = new Map();

function format(zone, options) {
  const key = `${knownZone(zone)}|${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(LOCALE, { timeZone: knownZone(zone), ...options }));
  return formats.get(key);
}

/** "06/12/2026 14:30" in the zone; null -> "—". */
export function dateTime(iso, zone) {
  if (!iso) return NONE;
  return format(zone, { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .format(new Date(iso))
    .replace(",", "");
}

/** "06/12/2026" in the zone; null -> "—". */
export function dateOnly(iso, zone) {
  if (!iso) return NONE;
  return format(zone, { day: "2-digit", month: "2-digit", year: "numeric" }).format(new Date(iso));
}

/** "+5511987654321" -> "+55 (11) 98765-4321"; other numbers as they are. */
export function phone(e164) {
  if (!e164) return NONE;
  const br = /^\+55(\d{2})(\d{4,5})(\d{4})$/.exec(e164);
  return br ? `+55 (${br[1]}) ${br[2]}-${br[3]}` : e164;
}

/** The instant the zone's next midnight starts (end of "today" there). */
export function endOfToday(now, zone) {
  return zonedDate(addDays(zonedParts(now, zone), 1), zone);
}

/** "overdue" (due before now), "today" (later today in the zone) or "later". */
export function dueState(dueAt, now, zone) {
  if (!dueAt) return "later";
  const due = new Date(dueAt);
  if (due < now) return "overdue";
  return due < endOfToday(now, zone) ? "today" : "later";
}

const pad = (n) => String(n).padStart(2, "0");

/** An instant as a datetime-local input's value in the zone ("2026-12-06T14:30"). */
export function localInput(iso, zone) {
  if (!iso) return "";
  const p = zonedParts(new Date(iso), zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** A datetime-local (or date) input's value, read in the zone, as an ISO instant; "" -> null. */
export function instantOf(value, zone) {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(String(value || ""));
  if (!match) return null;
  const [, year, month, day, hour = "0", minute = "0"] = match;
  const when = { year: Number(year), month: Number(month), day: Number(day), hour: Number(hour), minute: Number(minute) };
  return zonedDate(when, zone).toISOString();
}

/** A date input's value ("2026-12-06") for an instant in the zone. */
export function dayInput(iso, zone) {
  if (!iso) return "";
  const p = zonedParts(new Date(iso), zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}
