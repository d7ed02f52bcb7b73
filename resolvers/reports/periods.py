"""Calendar periods of a report in the workspace's timezone: DAY, WEEK
(ISO 8601: Monday to Sunday, numbered in the ISO week-year, so 29 Dec 2025
is in "2026-W01") and MONTH. Keys sort chronologically ("2026-12-05",
"2026-W49", "2026-12"); labels are for people, in the caller's language
("05/12/2026", "Semana 49 de 2026", "dezembro de 2026" in pt-BR).

Times are placed in periods here, in Python with zoneinfo, from the
instants the database returns, so SQLite and PostgreSQL agree and
daylight-saving changes fall where the calendar says."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, get_month_names

from revgraph.resolvers.i18n import _, current_language
from revgraph.resolvers.report_measures import ReportWindow
from revgraph.resolvers.reports.buckets import Bucket

DAY, WEEK, MONTH = "DAY", "WEEK", "MONTH"
PERIODS = (DAY, WEEK, MONTH)


def zone(name: str | None) -> ZoneInfo:
    """The workspace's timezone (UTC when its name is unknown here)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def period_start(kind: str, day: date) -> date:
    """The first day of the period `day` is in."""
    if kind == WEEK:
        return day - timedelta(days=day.weekday())
    if kind == MONTH:
        return day.replace(day=1)
    return day


def next_period(kind: str, start: date) -> date:
    if kind == WEEK:
        return start + timedelta(days=7)
    if kind == MONTH:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=1)


def period_key(kind: str, start: date) -> str:
    if kind == WEEK:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    return start.isoformat()


def period_label(kind: str, start: date) -> str:
    if kind == WEEK:
        year, week, _weekday = start.isocalendar()
        return _("Week {week} of {year}", week=week, year=year)
    babel_locale = current_language().replace("-", "_")
    if kind == MONTH:
        month = get_month_names("wide", locale=babel_locale)[start.month]
        return _("{month} {year}", month=month, year=start.year)
    return format_date(start, "short", locale=babel_locale)


def aware(at: datetime) -> datetime:
    """An instant the database returned, with its offset (a naive one is UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def local_day(at: datetime, tz: ZoneInfo) -> date:
    """The calendar day of an instant in `tz` (a naive instant is UTC)."""
    return aware(at).astimezone(tz).date()


def periods_of(kind: str, window: ReportWindow, tz: ZoneInfo) -> list[date]:
    """The first days of every period that shares an instant with the
    window, in order: where the window starts, up to where it ends."""
    current = period_start(kind, local_day(window.start, tz))
    last = period_start(kind, local_day(window.end - timedelta(microseconds=1), tz))
    found = []
    while current <= last:
        found.append(current)
        current = next_period(kind, current)
    return found


def count_by_period(kind: str, times: Iterable[datetime], window: ReportWindow, tz: ZoneInfo) -> list[Bucket]:
    """One bucket per period of the window, in calendar order, empty ones
    included (a chart's x axis has no holes): how many of `times` (all
    inside the window) fall in each."""
    counts = Counter(period_start(kind, local_day(at, tz)) for at in times)
    return [
        Bucket(period_key(kind, start), period_label(kind, start), counts.get(start, 0))
        for start in periods_of(kind, window, tz)
    ]
