"""An inbox's business calendar and the arithmetic of working time on it.

A calendar is an IANA time zone, intervals of local wall-clock time per ISO
weekday (1 = Monday .. 7 = Sunday; several per day, "24:00" closing at the
end of the day) and holidays (whole local days off). Working time is real
elapsed time inside those intervals, so an interval that spans a DST change
is an hour shorter or longer than its wall-clock length. A wall time the
clock skips (spring forward) is read at the old offset, as Python does: it
lands as far after the jump as it was after the start of the gap.

Every instant given and returned is an aware datetime; results are in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from revgraph.resolvers.errors import DomainError, Problem
from revgraph.resolvers.i18n import _

MAX_INTERVALS = 7 * 4
MAX_HOLIDAYS = 366
# How many local days add_business_time looks ahead for enough working time
# before it answers None ("never"): it bounds the loop for a calendar whose
# intervals all fall on holidays, or a budget no calendar reaches.
HORIZON_DAYS = 3 * 366
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
END_OF_DAY = "24:00"
# Local instants a calendar remembers before it forgets them all.
INSTANTS_KEPT = 4096
ZERO = timedelta(0)


@dataclass(frozen=True)
class BusinessCalendar:
    """Business hours of an inbox: `days` holds (weekday, opens, closes)
    sorted, with "HH:MM" strings; `holidays` are local dates."""

    timezone: str
    days: tuple[tuple[int, str, str], ...]
    holidays: frozenset[date]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """The stored shape, trusted: it was validated when written."""
        days = sorted((int(day["weekday"]), day["opens"], day["closes"]) for day in data.get("days") or ())
        holidays = frozenset(date.fromisoformat(day) for day in data.get("holidays") or ())
        return cls(data["timezone"], tuple(days), holidays)

    @cached_property
    def week(self) -> dict[int, tuple[tuple[int, int], ...]]:
        """The intervals of each ISO weekday in minutes since midnight
        (closing 24:00 is 1440), parsed once per calendar: an SLA clock
        walks them for every conversation of a page."""
        week: dict[int, list[tuple[int, int]]] = {}
        for weekday, opening, closing in self.days:
            week.setdefault(weekday, []).append((_minutes(opening), _minutes(closing)))
        return {weekday: tuple(intervals) for weekday, intervals in week.items()}

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _instants(self) -> dict[tuple[date, int], datetime]:
        return {}

    def instant(self, day: date, minutes: int) -> datetime:
        """The UTC instant of a local day's wall time, remembered (a page of
        conversations asks for the same recent days again and again)."""
        key = (day, minutes)
        found = self._instants.get(key)
        if found is None:
            if len(self._instants) >= INSTANTS_KEPT:
                self._instants.clear()
            found = self._instants[key] = _instant(day, minutes, self.zone)
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "days": [{"weekday": w, "opens": opens, "closes": closes} for w, opens, closes in self.days],
            "holidays": sorted(day.isoformat() for day in self.holidays),
        }


def validate_business_hours(
    timezone: Any,
    days: Any,
    holidays: Any = (),
    *,
    field: Sequence[str] = ("input", "businessHours"),
) -> BusinessCalendar:
    """Business hours as a person typed them, checked and normalised into a
    calendar (intervals sorted; adjacent ones stay separate). `days` are
    mappings with weekday, opens and closes; holidays are dates or ISO
    strings. Every problem found is reported, each with its field path."""
    problems: list[Problem] = []

    def refuse(message: str, *path: str) -> None:
        problems.append(Problem("INVALID", message, [*field, *path]))

    if not _known_timezone(timezone):
        refuse(
            _("{timezone!r} is not an IANA time zone such as America/Sao_Paulo.", timezone=timezone),
            "timezone",
        )
    intervals: list[tuple[int, str, str, int]] = []
    if not isinstance(days, Sequence) or isinstance(days, str):
        refuse(_("Give the hours as a list of intervals per weekday."), "days")
    elif len(days) > MAX_INTERVALS:
        refuse(
            _("At most {MAX_INTERVALS} intervals a week are allowed.", MAX_INTERVALS=MAX_INTERVALS),
            "days",
        )
    else:
        for index, day in enumerate(days):
            interval = _interval(day, refuse, "days", str(index))
            if interval:
                intervals.append((*interval, index))
    intervals.sort()
    latest: tuple[int, str, str, int] | None = None  # the interval closing last so far that weekday
    for current in intervals:
        if latest and latest[0] == current[0] and current[1] < latest[2]:
            refuse(
                _(
                    "The interval {current}–{current2} overlaps {latest}–{latest2} on the same day.",
                    current=current[1],
                    current2=current[2],
                    latest=latest[1],
                    latest2=latest[2],
                ),
                "days",
                str(current[3]),
            )
        if not latest or latest[0] != current[0] or current[2] > latest[2]:
            latest = current
    dates = _holidays(holidays, refuse)
    if problems:
        raise DomainError.many(problems)
    return BusinessCalendar(timezone, tuple((w, o, c) for w, o, c, _ in intervals), frozenset(dates))


def _known_timezone(name: Any) -> bool:
    if not isinstance(name, str) or not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name in available_timezones()


def _interval(day: Any, refuse: Callable[..., None], *path: str) -> tuple[int, str, str] | None:
    if not isinstance(day, Mapping):
        refuse(_("Each interval has a weekday, an opening and a closing."), *path)
        return None
    weekday: Any = day.get("weekday")
    opens: Any = day.get("opens")
    closes: Any = day.get("closes")
    fine = True
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 1 <= weekday <= 7:
        refuse(_("The weekday goes from 1 (Monday) to 7 (Sunday)."), *path, "weekday")
        fine = False
    if not (isinstance(opens, str) and CLOCK.match(opens)):
        refuse(_("Give the opening as HH:MM, from 00:00 to 23:59."), *path, "opens")
        fine = False
    if not (isinstance(closes, str) and (CLOCK.match(closes) or closes == END_OF_DAY)):
        refuse(_("Give the closing as HH:MM, from 00:01 to 24:00."), *path, "closes")
        fine = False
    if fine and opens >= closes:
        refuse(
            _("The opening ({opens}) must be before the closing ({closes}).", opens=opens, closes=closes),
            *path,
            "opens",
        )
        fine = False
    return (weekday, opens, closes) if fine else None


def _holidays(holidays: Any, refuse: Callable[..., None]) -> set[date]:
    if holidays is None:
        return set()
    if not isinstance(holidays, Iterable) or isinstance(holidays, str):
        refuse(_("Give the holidays as a list of dates."), "holidays")
        return set()
    holidays = list(holidays)
    if len(holidays) > MAX_HOLIDAYS:
        refuse(_("At most {MAX_HOLIDAYS} holidays are allowed.", MAX_HOLIDAYS=MAX_HOLIDAYS), "holidays")
        return set()
    dates = set()
    for index, day in enumerate(holidays):
        if isinstance(day, date) and not isinstance(day, datetime):
            dates.add(day)
            continue
        try:
            dates.add(date.fromisoformat(day))
        except (TypeError, ValueError):
            refuse(_("Give the holiday as a date, such as 2026-12-25."), "holidays", str(index))
    return dates


def add_business_time(
    calendar: BusinessCalendar | None, start: datetime, duration: timedelta
) -> datetime | None:
    """The first instant by which `duration` of working time has elapsed
    since `start`; the clock starts at the next opening when `start` is
    outside hours, so a zero duration gives the first working instant at or
    after `start`. No calendar means wall clock. None means never: the
    calendar has no working time within HORIZON_DAYS local days."""
    _require_aware(start)
    if duration < ZERO:
        raise ValueError("a duration of working time is not negative")
    if calendar is None:
        return (start + duration).astimezone(UTC)
    remaining = duration
    for begin, end in _working_spans(calendar, start):
        if remaining <= end - begin:
            return begin + remaining
        remaining -= end - begin
    return None


def add_business_seconds(calendar: BusinessCalendar | None, start: datetime, seconds: int) -> datetime | None:
    """add_business_time in whole seconds."""
    return add_business_time(calendar, start, timedelta(seconds=seconds))


def business_time_between(calendar: BusinessCalendar | None, start: datetime, end: datetime) -> timedelta:
    """Working time in [start, end); zero when end is not after start."""
    _require_aware(start)
    _require_aware(end)
    if end <= start:
        return ZERO
    if calendar is None:
        return end - start
    return sum((stop - begin for begin, stop in _working_spans(calendar, start, end)), ZERO)


def business_seconds_between(calendar: BusinessCalendar | None, start: datetime, end: datetime) -> int:
    """business_time_between in whole seconds (rounded down)."""
    return business_time_between(calendar, start, end) // timedelta(seconds=1)


def _working_spans(
    calendar: BusinessCalendar, start: datetime, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """The working spans from `start` on (to `until`, or HORIZON_DAYS local
    days), in order, never overlapping, day by day rather than minute by
    minute."""
    zone = calendar.zone
    week = calendar.week
    if not week:
        return
    cursor = start.astimezone(UTC)
    # The day before too: a closing inside a skipped hour, read at the old
    # offset, can land after this day's midnight.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = day + timedelta(days=HORIZON_DAYS) if until is None else until.astimezone(zone).date()
    while day <= last:
        for opens, closes in () if day in calendar.holidays else week.get(day.isoweekday(), ()):
            begin, end = max(calendar.instant(day, opens), cursor), calendar.instant(day, closes)
            if until is not None:
                if begin >= until:
                    return
                end = min(end, until)
            # A wall time inside a skipped hour can fall after the next
            # interval's opening: the cursor keeps spans from overlapping.
            if begin < end:
                yield begin, end
                cursor = end
        day += timedelta(days=1)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day + timedelta(days=minutes // 1440), time(minutes % 1440 // 60, minutes % 60))
    return local.replace(tzinfo=zone).astimezone(UTC)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("instants of working time are aware datetimes")
