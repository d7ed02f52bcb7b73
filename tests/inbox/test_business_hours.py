"""Business hours of an inbox: validation of what people type, and working
time added or measured on the calendar, across lunch breaks, midnights,
weekends, holidays and DST changes. Pure: no server."""

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.inbox.business_hours import (
    BusinessCalendar,
    add_business_seconds,
    add_business_time,
    business_seconds_between,
    business_time_between,
    validate_business_hours,
)

HOUR = 3600
WEEKDAYS = range(1, 6)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def calendar(timezone: str, hours: list[tuple[str, str]], weekdays=WEEKDAYS, holidays=()) -> BusinessCalendar:
    days = [{"weekday": w, "opens": opens, "closes": closes} for w in weekdays for opens, closes in hours]
    return validate_business_hours(timezone, days, list(holidays))


def refusal(timezone, days, holidays=()) -> list[tuple[str, list[str] | None]]:
    with pytest.raises(DomainError) as raised:
        validate_business_hours(timezone, days, holidays)
    assert {problem.code for problem in raised.value.problems} == {"INVALID"}
    return [(problem.message, problem.field) for problem in raised.value.problems]


# Sao Paulo keeps UTC-3 all year (no DST since 2019): 08:00 local = 11:00 UTC.
SAO_PAULO = calendar("America/Sao_Paulo", [("08:00", "12:00"), ("13:00", "18:00")], holidays=["2026-12-25"])


# ---------------------------------------------------------------- validation


def test_valid_hours_are_sorted_and_round_trip_through_json():
    # given intervals typed out of order, a Date and an ISO string for holidays
    days = [
        {"weekday": 2, "opens": "13:00", "closes": "24:00"},
        {"weekday": 1, "opens": "08:00", "closes": "12:00"},
        {"weekday": 2, "opens": "08:00", "closes": "13:00"},
    ]
    # when they are validated
    hours = validate_business_hours("America/Sao_Paulo", days, [date(2026, 12, 25), "2026-01-01"])
    # then the intervals are sorted (adjacent ones kept apart) and survive storage
    assert hours.days == ((1, "08:00", "12:00"), (2, "08:00", "13:00"), (2, "13:00", "24:00"))
    assert hours.holidays == frozenset({date(2026, 12, 25), date(2026, 1, 1)})
    stored = hours.to_json()
    assert stored == {
        "timezone": "America/Sao_Paulo",
        "days": [
            {"weekday": 1, "opens": "08:00", "closes": "12:00"},
            {"weekday": 2, "opens": "08:00", "closes": "13:00"},
            {"weekday": 2, "opens": "13:00", "closes": "24:00"},
        ],
        "holidays": ["2026-01-01", "2026-12-25"],
    }
    assert BusinessCalendar.from_json(stored) == hours


def test_an_unknown_timezone_is_refused_in_portuguese():
    assert refusal("America/Sao_Paolo", []) == [
        (
            "'America/Sao_Paolo' não é um fuso horário IANA, como America/Sao_Paulo.",
            ["input", "businessHours", "timezone"],
        )
    ]
    assert refusal("../etc/passwd", [])[0][1] == ["input", "businessHours", "timezone"]


def test_each_bad_interval_is_refused_at_its_own_path():
    # given a weekday out of range, malformed times and an interval that closes before it opens
    days = [
        {"weekday": 1, "opens": "08:00", "closes": "12:00"},
        {"weekday": 8, "opens": "08:00", "closes": "12:00"},
        {"weekday": 2, "opens": "8h", "closes": "12:00"},
        {"weekday": 3, "opens": "24:00", "closes": "24:00"},
        {"weekday": 4, "opens": "18:00", "closes": "08:00"},
        {"weekday": 5, "opens": "10:00", "closes": "10:00"},
        {"weekday": 6, "opens": "10:00", "closes": "25:00"},
    ]
    # when they are validated, then every problem is reported with its path
    fields = [field for _, field in refusal("America/Sao_Paulo", days)]
    base = ["input", "businessHours", "days"]
    assert fields == [
        [*base, "1", "weekday"],
        [*base, "2", "opens"],
        [*base, "3", "opens"],
        [*base, "4", "opens"],
        [*base, "5", "opens"],
        [*base, "6", "closes"],
    ]
    messages = dict((tuple(field), message) for message, field in refusal("America/Sao_Paulo", days))
    assert messages[(*base, "1", "weekday")] == "O dia da semana vai de 1 (segunda-feira) a 7 (domingo)."
    assert messages[(*base, "4", "opens")] == "A abertura (18:00) deve ser anterior ao fechamento (08:00)."


def test_overlapping_intervals_on_one_weekday_are_refused_but_adjacent_ones_are_not():
    # given 08:00-18:00 with 09:00-10:00 and 11:00-12:00 inside it on Monday, and adjacent ones on Tuesday
    days = [
        {"weekday": 1, "opens": "08:00", "closes": "18:00"},
        {"weekday": 1, "opens": "11:00", "closes": "12:00"},
        {"weekday": 1, "opens": "09:00", "closes": "10:00"},
        {"weekday": 2, "opens": "08:00", "closes": "12:00"},
        {"weekday": 2, "opens": "12:00", "closes": "18:00"},
        {"weekday": 3, "opens": "09:00", "closes": "10:00"},
    ]
    # then both intervals inside the long one are refused, and nothing else
    assert refusal("America/Sao_Paulo", days) == [
        (
            "O intervalo 09:00–10:00 se sobrepõe a 08:00–18:00 no mesmo dia.",
            ["input", "businessHours", "days", "2"],
        ),
        (
            "O intervalo 11:00–12:00 se sobrepõe a 08:00–18:00 no mesmo dia.",
            ["input", "businessHours", "days", "1"],
        ),
    ]


def test_too_many_intervals_or_holidays_are_refused():
    # given 29 intervals and 367 holidays
    days = [
        {"weekday": 1 + i % 7, "opens": f"{i // 7:02d}:00", "closes": f"{i // 7:02d}:30"} for i in range(29)
    ]
    holidays = [date(2026, 1, 1) + timedelta(days=i) for i in range(367)]
    # then both limits are named
    assert refusal("UTC", days, holidays) == [
        ("São permitidos no máximo 28 intervalos por semana.", ["input", "businessHours", "days"]),
        ("São permitidos no máximo 366 feriados.", ["input", "businessHours", "holidays"]),
    ]
    # and exactly at the limits it is accepted
    assert len(validate_business_hours("UTC", days[:28], holidays[:366]).days) == 28


def test_a_malformed_holiday_is_refused_at_its_index():
    assert refusal("UTC", [], ["2026-12-25", "25/12/2026"]) == [
        ("Informe o feriado como uma data, como 2026-12-25.", ["input", "businessHours", "holidays", "1"])
    ]


# ---------------------------------------------------------------- adding working time


def test_no_calendar_is_the_wall_clock():
    assert add_business_seconds(None, utc(2026, 3, 7, 23, 0), 2 * HOUR) == utc(2026, 3, 8, 1, 0)
    assert business_seconds_between(None, utc(2026, 3, 7, 23, 0), utc(2026, 3, 8, 1, 0)) == 2 * HOUR


def test_inside_hours_the_clock_runs_from_start():
    # given Monday 09:15 in Sao Paulo, when 45 minutes are added, then it is 10:00 local
    assert add_business_seconds(SAO_PAULO, utc(2026, 3, 2, 12, 15), 45 * 60) == utc(2026, 3, 2, 13, 0)


def test_zero_seconds_is_start_inside_hours_and_the_next_opening_outside():
    assert add_business_seconds(SAO_PAULO, utc(2026, 3, 2, 12, 15), 0) == utc(2026, 3, 2, 12, 15)
    assert add_business_seconds(SAO_PAULO, utc(2026, 3, 2, 15, 30), 0) == utc(2026, 3, 2, 16, 0)  # lunch
    assert add_business_seconds(SAO_PAULO, utc(2026, 3, 2, 9, 0), 0) == utc(2026, 3, 2, 11, 0)  # 06:00


def test_before_opening_the_clock_starts_at_the_opening():
    # given Monday 06:00 local, when 30 minutes are added, then it is 08:30 local
    assert add_business_seconds(SAO_PAULO, utc(2026, 3, 2, 9, 0), 30 * 60) == utc(2026, 3, 2, 11, 30)


def test_the_lunch_break_does_not_count():
    # given Monday 11:30 local, when an hour is added, then 30 minutes fall before lunch, 30 after
    assert add_business_seconds(SAO_PAULO, utc(2026, 3, 2, 14, 30), HOUR) == utc(2026, 3, 2, 16, 30)
    assert business_seconds_between(SAO_PAULO, utc(2026, 3, 2, 14, 0), utc(2026, 3, 2, 17, 0)) == 2 * HOUR


def test_a_budget_ending_at_closing_ends_at_closing_not_the_next_morning():
    assert add_business_seconds(SAO_PAULO, utc(2026, 3, 2, 20, 0), HOUR) == utc(2026, 3, 2, 21, 0)


def test_the_weekend_is_skipped():
    # given Friday 17:30 local, when an hour is added, then it is Monday 08:30 local
    assert add_business_seconds(SAO_PAULO, utc(2026, 3, 6, 20, 30), HOUR) == utc(2026, 3, 9, 11, 30)
    assert business_seconds_between(SAO_PAULO, utc(2026, 3, 6, 20, 30), utc(2026, 3, 9, 11, 30)) == HOUR


def test_a_holiday_is_a_whole_day_off():
    # given Thursday 2026-12-24 17:00 local, Friday 25 a holiday, when two hours are added
    start = utc(2026, 12, 24, 20, 0)
    # then one hour falls on Thursday and the other on Monday the 28th from 08:00 local
    assert add_business_seconds(SAO_PAULO, start, 2 * HOUR) == utc(2026, 12, 28, 12, 0)
    assert business_seconds_between(SAO_PAULO, start, utc(2026, 12, 28, 12, 0)) == 2 * HOUR


def test_intervals_meeting_at_midnight_run_on():
    # given an evening shift to 24:00 on Monday and a night shift from 00:00 on Tuesday
    hours = validate_business_hours(
        "America/Sao_Paulo",
        [
            {"weekday": 1, "opens": "20:00", "closes": "24:00"},
            {"weekday": 2, "opens": "00:00", "closes": "02:00"},
        ],
        [],
    )
    # when an hour is added on Monday at 23:30 local, then it is Tuesday 00:30 local
    assert add_business_seconds(hours, utc(2026, 3, 3, 2, 30), HOUR) == utc(2026, 3, 3, 3, 30)
    # and from Tuesday 02:00 local on, the next working time is next Monday 20:00
    assert add_business_seconds(hours, utc(2026, 3, 3, 5, 0), 1) == utc(2026, 3, 9, 23, 0, 1)


def test_spring_forward_in_new_york_is_respected():
    # given 09:00-17:00 on weekdays in New York, Friday 2026-03-06 16:00 EST (UTC-5)
    hours = calendar("America/New_York", [("09:00", "17:00")])
    # when two hours are added, then Monday opens at 09:00 EDT (UTC-4): 10:00 EDT is 14:00 UTC
    assert add_business_seconds(hours, utc(2026, 3, 6, 21, 0), 2 * HOUR) == utc(2026, 3, 9, 14, 0)


def test_fall_back_in_new_york_is_respected():
    # given Friday 2026-10-30 16:00 EDT, when two hours are added, then Monday 10:00 EST is 15:00 UTC
    hours = calendar("America/New_York", [("09:00", "17:00")])
    assert add_business_seconds(hours, utc(2026, 10, 30, 20, 0), 2 * HOUR) == utc(2026, 11, 2, 15, 0)


def test_a_round_the_clock_day_lasts_23_or_25_real_hours_on_dst_sundays():
    # given 00:00-24:00 every day in New York and in Lisbon
    for zone, spring, autumn in (
        ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
        ("Europe/Lisbon", date(2026, 3, 29), date(2026, 10, 25)),
    ):
        hours = calendar(zone, [("00:00", "24:00")], weekdays=range(1, 8))
        # when the working time of the whole of Saturday to Monday is measured
        for sunday, expected in ((spring, 23), (autumn, 25)):
            start = datetime.combine(sunday, datetime.min.time()).replace(tzinfo=ZoneInfo(zone))
            end = start + timedelta(days=1)  # wall-clock arithmetic on an aware datetime: next local midnight
            # then the Sunday holds 23 real hours in spring and 25 in autumn
            assert business_seconds_between(hours, start, end) == expected * HOUR, (zone, sunday)
            assert add_business_seconds(hours, start, expected * HOUR) == end.astimezone(UTC)


def test_an_interval_crossing_the_lisbon_gap_holds_only_real_time():
    # given Sunday 00:30-03:00 in Lisbon on 2026-03-29, when 01:00 WET jumps to 02:00 WEST
    hours = calendar("Europe/Lisbon", [("00:30", "03:00")], weekdays=[7])
    # then the interval holds 1h30 of real time: 00:30 UTC to 02:00 UTC
    assert business_seconds_between(hours, utc(2026, 3, 28), utc(2026, 3, 30)) == 90 * 60
    assert add_business_seconds(hours, utc(2026, 3, 28), 90 * 60) == utc(2026, 3, 29, 2, 0)


def test_an_interval_repeating_the_lisbon_hour_holds_it_twice():
    # given Sunday 00:00-03:00 in Lisbon on 2026-10-25, when 02:00 WEST goes back to 01:00 WET
    hours = calendar("Europe/Lisbon", [("00:00", "03:00")], weekdays=[7])
    # then the interval holds four real hours: 23:00 UTC on Saturday to 03:00 UTC
    assert business_seconds_between(hours, utc(2026, 10, 24), utc(2026, 10, 26)) == 4 * HOUR
    assert add_business_seconds(hours, utc(2026, 10, 24), 4 * HOUR) == utc(2026, 10, 25, 3, 0)


def test_times_inside_the_skipped_hour_never_count_twice():
    # given 01:00-02:30 and 03:00-05:00 in New York on 2026-03-08, when 02:00 EST jumps to 03:00 EDT
    hours = validate_business_hours(
        "America/New_York",
        [
            {"weekday": 7, "opens": "01:00", "closes": "02:30"},
            {"weekday": 7, "opens": "03:00", "closes": "05:00"},
        ],
    )
    # then 02:30 is read at the old offset (03:30 EDT) and the working time is 06:00-09:00 UTC, once
    assert business_seconds_between(hours, utc(2026, 3, 7), utc(2026, 3, 9)) == 3 * HOUR
    assert add_business_seconds(hours, utc(2026, 3, 7), 3 * HOUR) == utc(2026, 3, 8, 9, 0)


def test_a_calendar_without_intervals_never_reaches_a_budget():
    hours = validate_business_hours("America/Sao_Paulo", [], [])
    assert add_business_seconds(hours, utc(2026, 3, 2, 12, 0), 60) is None
    assert add_business_seconds(hours, utc(2026, 3, 2, 12, 0), 0) is None
    assert business_seconds_between(hours, utc(2026, 3, 2), utc(2027, 3, 2)) == 0


def test_a_calendar_whose_every_working_day_is_a_holiday_answers_never_quickly():
    # given Mondays only, and every Monday of the next seven years a holiday
    mondays = [date(2026, 3, 2) + timedelta(weeks=i) for i in range(366)]
    hours = calendar("America/Sao_Paulo", [("08:00", "18:00")], weekdays=[1], holidays=mondays)
    # when a minute is added, then it is never, and the search stopped at its horizon
    began = time.perf_counter()
    assert add_business_seconds(hours, utc(2026, 3, 2, 12, 0), 60) is None
    assert time.perf_counter() - began < 0.5


def test_a_long_budget_is_added_day_by_day_not_minute_by_minute():
    # given Monday 2026-03-02 08:00 local, 10 working hours a day (lunch included here)
    hours = calendar("America/Sao_Paulo", [("08:00", "18:00")], holidays=["2026-03-20"])
    began = time.perf_counter()
    # when 10,000 business minutes (16 days and 6h40) are added
    due = add_business_seconds(hours, utc(2026, 3, 2, 11, 0), 10_000 * 60)
    # then the 20th (a holiday) is skipped: the 16 days end on the 24th, so 14:40 local on the 25th
    assert due == utc(2026, 3, 25, 17, 40)
    # and a year and a half of business time takes no longer than a blink
    assert add_business_seconds(hours, utc(2026, 3, 2, 11, 0), 3_900 * HOUR) is not None
    assert time.perf_counter() - began < 0.5


def test_measuring_is_the_inverse_of_adding():
    start = utc(2026, 3, 4, 19, 47, 13)
    for seconds in (0, 1, 59, 3599, 4 * HOUR, 37 * HOUR + 11):
        due = add_business_seconds(SAO_PAULO, start, seconds)
        assert business_seconds_between(SAO_PAULO, start, due) == seconds


def test_an_empty_or_reversed_range_holds_no_time():
    assert business_seconds_between(SAO_PAULO, utc(2026, 3, 2, 14), utc(2026, 3, 2, 14)) == 0
    assert business_seconds_between(SAO_PAULO, utc(2026, 3, 2, 15), utc(2026, 3, 2, 14)) == 0
    assert business_time_between(None, utc(2026, 3, 2, 15), utc(2026, 3, 2, 14)) == timedelta(0)


def test_naive_instants_and_negative_budgets_are_programming_errors():
    with pytest.raises(ValueError):
        add_business_seconds(SAO_PAULO, datetime(2026, 3, 2, 12), 60)
    with pytest.raises(ValueError):
        add_business_time(None, utc(2026, 3, 2, 12), timedelta(seconds=-1))


def test_a_calendar_remembers_local_instants_within_its_bound(monkeypatch):
    from revgraph.resolvers.inbox import business_hours

    # given a calendar over a DST change, with a small memory
    monkeypatch.setattr(business_hours, "INSTANTS_KEPT", 16)
    sao_paulo = calendar("America/Sao_Paulo", [("08:00", "12:00"), ("13:00", "18:00")])
    new_york = calendar("America/New_York", [("09:00", "17:00")])
    start = date(2026, 10, 25)
    for cal in (sao_paulo, new_york):
        for offset in range(60):
            day = start + timedelta(days=offset)
            for minutes in (0, 8 * 60, 17 * 60 + 30, 24 * 60):
                # when an instant is asked for twice
                first, again = cal.instant(day, minutes), cal.instant(day, minutes)
                # then both are the wall time in the zone, as computed afresh
                local = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minutes)
                assert first == again == local.replace(tzinfo=ZoneInfo(cal.timezone)).astimezone(UTC)
                # and the memory never holds more than its bound
                assert len(cal._instants) <= 16
    # and the parsed week is the stored intervals in minutes
    assert sao_paulo.week[1] == ((480, 720), (780, 1080)) and 6 not in sao_paulo.week
