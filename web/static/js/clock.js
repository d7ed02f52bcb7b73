// Wall-clock time in the workspace's time zone (São Paulo unless the
// workspace says otherwise), with nothing but Intl: what day and hour it
// is there, and the instant of "tomorrow at 9:00" there.

export const DEFAULT_ZONE = "America/Sao_Paulo";
const WEEKDAYS = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const partsFormats = new Map();

/** The zone if the browser knows it, else São Paulo. */
export function knownZone(zone) {
  if (!zone) return DEFAULT_ZONE;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone;
  } catch {
    return DEFAULT_ZONE;
  }
}

function partsFormat(zone) {
  if (!partsFormats.has(zone)) {
    partsFormats.set(
      zone,
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        weekday: "short",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      }),
    );
  }
  return partsFormats.get(zone);
}

/** {year, month, day, hour, minute, second, weekday (1 = Monday .. 7)} of an instant in a zone. */
export function zonedParts(date, zone) {
  const parts = {};
  for (const part of partsFormat(knownZone(zone)).formatToParts(date)) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday],
  };
}

function offsetMs(instant, zone) {
  const p = zonedParts(new Date(instant), zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant when the zone's wall clock shows that date and time. */
export function zonedDate({ year, month, day, hour = 0, minute = 0 }, zone) {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // Twice: the offset at the first guess may differ across a DST change.
  let instant = wall - offsetMs(wall, zone);
  instant = wall - offsetMs(instant, zone);
  return new Date(instant);
}

/** The calendar date `days` after the given one. */
export function addDays({ year, month, day }, days) {
  const date = new Date(Date.UTC(year, month - 1, day + days));
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** "2026-03-14": the zone's calendar day of an instant (to compare days). */
export function dayKey(date, zone) {
  const p = zonedParts(date, zone);
  return `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
}

/** When a snooze of each preset ends, from `now`, in the workspace's zone. */
export function snoozePresets(now, zone) {
  const today = zonedParts(now, zone);
  const untilMonday = (8 - today.weekday) % 7 || 7;
  const at9 = (date) => zonedDate({ ...date, hour: 9, minute: 0 }, zone);
  return [
    { key: "hour", until: new Date(now.getTime() + 60 * 60 * 1000) },
    { key: "threeHours", until: new Date(now.getTime() + 3 * 60 * 60 * 1000) },
    { key: "tomorrow", until: at9(addDays(today, 1)) },
    { key: "monday", until: at9(addDays(today, untilMonday)) },
  ];
}
