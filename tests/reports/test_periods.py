"""Calendar periods of reports (resolvers/reports/periods.py) where the
workspace's clock jumps: daylight-saving changes and ISO week 53."""

from datetime import UTC, datetime

from revgraph.resolvers.report_measures import check_range
from revgraph.resolvers.reports.periods import DAY, WEEK, count_by_period, zone


def test_a_daylight_saving_change_keeps_every_day_once():
    # given New York's spring-forward night (8 March 2026, 02:00 → 03:00), local midnights in UTC
    window = check_range(datetime(2026, 3, 7, 5, tzinfo=UTC), datetime(2026, 3, 10, 4, tzinfo=UTC))
    times = [datetime(2026, 3, 8, 4, 30, tzinfo=UTC), datetime(2026, 3, 9, 3, 30, tzinfo=UTC)]
    # when they are counted by day in New York
    found = count_by_period(DAY, times, window, zone("America/New_York"))
    # then 23:30 on the 7th (EST) and 23:30 on the 8th (EDT) fall on their own days
    assert [(b.key, b.count) for b in found] == [("2026-03-07", 1), ("2026-03-08", 1), ("2026-03-09", 0)]


def test_week_53_and_an_unknown_timezone():
    # given 2026, a year of 53 ISO weeks, and a timezone name this server does not know
    window = check_range(datetime(2026, 12, 28, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC))
    found = count_by_period(WEEK, [datetime(2027, 1, 3, 23, tzinfo=UTC)], window, zone("Mars/Olympus"))
    # then the days up to Sunday 3 January 2027 are week 53 of 2026, in UTC
    assert [(b.key, b.label, b.count) for b in found] == [
        ("2026-W53", "Semana 53 de 2026", 1),
        ("2027-W01", "Semana 1 de 2027", 0),
    ]
