"""A conversation's SLA from its facts: first and next responses met or
breached, the resolution clock paused while the last word is ours or the
conversation is snoozed, reopening, business-hours deadlines, and the
transitions a timer records once each. Pure: no server."""

from datetime import UTC, datetime, timedelta

import pytest

from revgraph.resolvers.inbox.business_hours import validate_business_hours
from revgraph.resolvers.inbox.sla_clock import SlaFact, SlaTargets, compute_sla

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, 09:00 in Sao Paulo
SAO_PAULO = validate_business_hours(
    "America/Sao_Paulo", [{"weekday": w, "opens": "08:00", "closes": "18:00"} for w in range(1, 6)]
)
RESPONSES = SlaTargets(first_response_minutes=30, next_response_minutes=20, warn_before_minutes=10)
RESOLUTION = SlaTargets(resolution_minutes=120, warn_before_minutes=10)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def facts(*happened: tuple[float, str]) -> list[SlaFact]:
    return [SlaFact(at(minutes), kind) for minutes, kind in happened]


def keys(transitions) -> list[tuple[str, int, str, datetime]]:
    return [(*t.key, t.at) for t in transitions]


# ---------------------------------------------------------------- first response


def test_the_first_response_clock_starts_at_the_first_inbound_and_warns_before_its_deadline():
    # given a contact who wrote at T0 and no reply yet
    sla = compute_sla(RESPONSES, None, facts((0, "inbound")))
    # then the first response is due 30 minutes later, with a warning 10 minutes before
    assert sla.first_response_due_at == at(30)
    assert [sla.state(at(m)) for m in (0, 19.9, 20, 29.9, 30)] == [
        "ON_TRACK",
        "ON_TRACK",
        "WARNING",
        "WARNING",
        "BREACHED",
    ]
    assert sla.next_response_due_at is None and sla.resolution_due_at is None
    assert not sla.breached and not sla.met


def test_a_reply_on_time_meets_the_first_response():
    # given a reply 20 minutes after the inbound
    sla = compute_sla(RESPONSES, None, facts((0, "inbound"), (20, "reply")))
    # then it is met, no deadline runs and nothing is missed
    assert sla.first_response_met_at == at(20)
    assert sla.first_response_due_at is None
    assert not sla.first_response_breached and not sla.breached
    assert sla.state(at(500)) == "ON_TRACK"
    # and the warning due at 20 never came: the reply came first
    assert sla.transitions == ()


def test_a_reply_exactly_at_the_deadline_meets_it_and_one_after_breaches_it():
    on_time = compute_sla(RESPONSES, None, facts((0, "inbound"), (30, "reply")))
    late = compute_sla(RESPONSES, None, facts((0, "inbound"), (30.01, "reply")))
    assert not on_time.first_response_breached and on_time.state(at(31)) == "ON_TRACK"
    assert late.first_response_breached and late.breached
    assert late.first_response_met_at == at(30.01)
    # a late reply stays breached for good
    assert late.state(at(10_000)) == "BREACHED"
    assert keys(late.transitions) == [
        ("first_response", 0, "warning", at(20)),
        ("first_response", 0, "breached", at(30)),
    ]


def test_a_reply_before_the_first_inbound_is_no_response():
    # given an outbound message first (facts out of order), then the contact's message
    sla = compute_sla(RESPONSES, None, facts((10, "inbound"), (0, "reply")))
    # then the first response is still awaited from the inbound
    assert sla.first_response_met_at is None
    assert sla.first_response_due_at == at(40)


def test_a_wait_that_begins_inside_the_warning_window_warns_at_once():
    targets = SlaTargets(first_response_minutes=5, warn_before_minutes=15)
    sla = compute_sla(targets, None, facts((0, "inbound")))
    assert sla.state(at(0)) == "WARNING"
    assert keys(sla.transitions) == [
        ("first_response", 0, "warning", at(0)),
        ("first_response", 0, "breached", at(5)),
    ]


def test_no_warning_when_warn_before_is_zero():
    targets = SlaTargets(first_response_minutes=30, warn_before_minutes=0)
    sla = compute_sla(targets, None, facts((0, "inbound")))
    assert sla.state(at(29.99)) == "ON_TRACK"
    assert keys(sla.transitions) == [("first_response", 0, "breached", at(30))]


# ---------------------------------------------------------------- next response


def test_each_wait_after_a_reply_has_its_own_next_response_clock():
    # given a first reply, then an inbound (a wait), a second inbound (same wait), a late reply,
    # another inbound and a reply exactly when the warning would have come
    sla = compute_sla(
        RESPONSES,
        None,
        facts(
            (0, "inbound"),
            (5, "reply"),
            (60, "inbound"),
            (65, "inbound"),
            (90, "reply"),
            (100, "inbound"),
            (110, "reply"),
        ),
    )
    # then the first wait was late (due 80, not 85) and the second on time, with no warning
    assert sla.next_response_breached and not sla.first_response_breached
    assert sla.next_response_due_at is None
    assert keys(sla.transitions) == [
        ("next_response", 0, "warning", at(70)),
        ("next_response", 0, "breached", at(80)),
    ]


def test_an_open_next_response_wait_reports_its_deadline():
    sla = compute_sla(RESPONSES, None, facts((0, "inbound"), (5, "reply"), (60, "inbound")))
    assert sla.first_response_due_at is None
    assert sla.next_response_due_at == at(80)
    assert sla.state(at(69)) == "ON_TRACK" and sla.state(at(70)) == "WARNING"


def test_the_first_wait_is_never_a_next_response_wait():
    # given only a next response target, then nothing runs until a reply has been sent
    targets = SlaTargets(next_response_minutes=20, warn_before_minutes=10)
    sla = compute_sla(targets, None, facts((0, "inbound"), (50, "inbound")))
    assert sla.running_deadlines() == [] and sla.transitions == ()


# ---------------------------------------------------------------- resolution


def test_the_resolution_clock_pauses_while_the_last_word_is_ours():
    # given an inbound at 0, a reply at 10 (10 minutes used), and nothing from the contact yet
    paused = compute_sla(RESOLUTION, None, facts((0, "inbound"), (10, "reply")))
    assert paused.resolution_due_at is None
    assert paused.transitions == ()
    assert paused.next_check_at(at(10)) is None
    # when the contact writes again at 60, then 110 minutes remain: due at 170
    running = compute_sla(RESOLUTION, None, facts((0, "inbound"), (10, "reply"), (60, "inbound")))
    assert running.resolution_due_at == at(170)
    assert keys(running.transitions) == [
        ("resolution", 0, "warning", at(160)),
        ("resolution", 0, "breached", at(170)),
    ]


def test_a_resolve_at_the_resolution_deadline_meets_every_target():
    sla = compute_sla(
        RESOLUTION, None, facts((0, "inbound"), (10, "reply"), (60, "inbound"), (170, "resolve"))
    )
    assert sla.resolution_met_at == at(170)
    assert sla.met and not sla.breached
    assert sla.state(at(171)) == "MET"
    assert sla.resolution_due_at is None
    assert keys(sla.transitions) == [("resolution", 0, "warning", at(160))]


def test_the_resolution_clock_warns_once_per_run_across_pauses():
    # given a warning at 110, a reply at 115 pausing the clock, and an inbound at 200 with 5 minutes left
    sla = compute_sla(RESOLUTION, None, facts((0, "inbound"), (115, "reply"), (200, "inbound")))
    # then the state warns again, but the run's warning is not a new transition
    assert sla.resolution_due_at == at(205)
    assert sla.state(at(200)) == "WARNING"
    assert keys(sla.transitions) == [
        ("resolution", 0, "warning", at(110)),
        ("resolution", 0, "breached", at(205)),
    ]


def test_a_resolved_conversation_is_not_snoozed_and_a_resolve_ends_a_snooze():
    ignored = compute_sla(RESOLUTION, None, facts((0, "inbound"), (30, "resolve"), (40, "snooze")))
    assert not ignored.snoozed and ignored.state(at(50)) == "MET"
    ended = compute_sla(RESOLUTION, None, facts((0, "inbound"), (30, "snooze"), (40, "resolve")))
    assert not ended.snoozed and ended.state(at(50)) == "MET"


def test_a_late_resolve_is_breached_not_met():
    sla = compute_sla(RESOLUTION, None, facts((0, "inbound"), (121, "resolve")))
    assert sla.resolution_breached and not sla.met
    assert sla.state(at(200)) == "BREACHED"


def test_running_past_the_budget_then_pausing_is_a_breach():
    # given no resolve: the clock ran from 0 to 130 and then a reply paused it
    sla = compute_sla(RESOLUTION, None, facts((0, "inbound"), (130, "reply")))
    assert sla.resolution_breached
    assert sla.state(at(131)) == "BREACHED"


def test_snoozing_pauses_the_resolution_clock_and_shows_paused():
    # given an inbound at 0, a snooze at 30 (30 minutes used) and a wake at 90
    snoozed = compute_sla(RESOLUTION, None, facts((0, "inbound"), (30, "snooze")))
    assert snoozed.state(at(60)) == "PAUSED"
    assert snoozed.resolution_due_at is None
    woken = compute_sla(RESOLUTION, None, facts((0, "inbound"), (30, "snooze"), (90, "wake")))
    # then 90 minutes remain from 90
    assert woken.resolution_due_at == at(180)
    assert woken.state(at(90)) == "ON_TRACK"


def test_an_inbound_wakes_a_snoozed_conversation():
    sla = compute_sla(RESOLUTION, None, facts((0, "inbound"), (30, "snooze"), (40, "inbound")))
    assert not sla.snoozed
    assert sla.resolution_due_at == at(130)


def test_response_clocks_keep_running_while_snoozed_but_the_state_says_paused():
    # given an unanswered inbound, snoozed before the first response is due at 30
    sla = compute_sla(RESPONSES, None, facts((0, "inbound"), (10, "snooze")))
    # then the deadline stands, the breach falls due during the snooze, and shows after the wake
    assert sla.first_response_due_at == at(30)
    assert sla.state(at(45)) == "PAUSED"
    assert [t.key for t in sla.transitions_by(at(45))] == [
        ("first_response", 0, "warning"),
        ("first_response", 0, "breached"),
    ]
    woken = compute_sla(RESPONSES, None, facts((0, "inbound"), (10, "snooze"), (45, "wake")))
    assert woken.state(at(45)) == "BREACHED"


def test_resolving_ends_an_open_wait_without_a_breach_when_in_time():
    sla = compute_sla(RESPONSES, None, facts((0, "inbound"), (10, "resolve")))
    assert sla.first_response_met_at is None and not sla.first_response_breached
    assert sla.met and sla.state(at(100)) == "MET"
    assert sla.transitions == ()


# ---------------------------------------------------------------- reopening


def test_a_reopened_conversation_resumes_its_resolution_clock_without_a_fresh_budget():
    # given 115 minutes used (warned at 110), resolved, then reopened at 200
    sla = compute_sla(RESOLUTION, None, facts((0, "inbound"), (115, "resolve"), (200, "reopen")))
    # then 5 minutes remain, the second run warns at once, and the budget is not renewed
    assert sla.resolution_due_at == at(205)
    assert sla.resolution_met_at is None and not sla.met
    assert sla.state(at(200)) == "WARNING"
    assert keys(sla.transitions) == [
        ("resolution", 0, "warning", at(110)),
        ("resolution", 1, "warning", at(200)),
        ("resolution", 1, "breached", at(205)),
    ]


def test_an_inbound_reopens_a_resolved_conversation_as_a_new_wait():
    targets = SlaTargets(first_response_minutes=30, next_response_minutes=20, resolution_minutes=120)
    sla = compute_sla(targets, None, facts((0, "inbound"), (10, "reply"), (20, "resolve"), (300, "inbound")))
    assert not sla.resolved
    assert sla.next_response_due_at == at(320)
    assert sla.resolution_due_at == at(300 + 110)


def test_a_breached_resolution_breaches_once_even_when_reopened():
    sla = compute_sla(RESOLUTION, None, facts((0, "inbound"), (130, "resolve"), (200, "reopen")))
    assert sla.resolution_due_at == at(120)  # the deadline that passed
    assert sla.state(at(200)) == "BREACHED"
    assert [t.key for t in sla.transitions if t.kind == "breached"] == [("resolution", 0, "breached")]


# ---------------------------------------------------------------- business hours


def test_business_hours_deadlines_skip_nights_and_weekends():
    # given an inbound on Friday 17:30 in Sao Paulo (20:30 UTC) and a one-hour first response
    targets = SlaTargets(first_response_minutes=60, business_hours_only=True)
    friday = [SlaFact(datetime(2026, 3, 6, 20, 30, tzinfo=UTC), "inbound")]
    # then it is due on Monday 08:30 local; without business hours, on Friday 18:30
    assert compute_sla(targets, SAO_PAULO, friday).first_response_due_at == datetime(
        2026, 3, 9, 11, 30, tzinfo=UTC
    )
    wall = SlaTargets(first_response_minutes=60)
    assert compute_sla(wall, SAO_PAULO, friday).first_response_due_at == datetime(
        2026, 3, 6, 21, 30, tzinfo=UTC
    )


def test_business_hours_resolution_counts_only_business_time_while_running():
    # given an inbound Friday 17:00 local, a reply at 17:30 (30 business minutes used), an inbound Saturday
    targets = SlaTargets(resolution_minutes=120, business_hours_only=True, warn_before_minutes=10)
    happened = [
        SlaFact(datetime(2026, 3, 6, 20, 0, tzinfo=UTC), "inbound"),
        SlaFact(datetime(2026, 3, 6, 20, 30, tzinfo=UTC), "reply"),
        SlaFact(datetime(2026, 3, 7, 13, 0, tzinfo=UTC), "inbound"),
    ]
    sla = compute_sla(targets, SAO_PAULO, happened)
    # then the remaining 90 minutes run from Monday 08:00: due 09:30 local
    assert sla.resolution_due_at == datetime(2026, 3, 9, 12, 30, tzinfo=UTC)
    assert sla.next_check_at(datetime(2026, 3, 7, 13, 0, tzinfo=UTC)) == datetime(
        2026, 3, 9, 12, 20, tzinfo=UTC
    )


def test_business_hours_deadlines_follow_dst_in_new_york():
    # given 09:00-17:00 in New York and an inbound on Friday 2026-03-06 16:00 EST
    new_york = validate_business_hours(
        "America/New_York", [{"weekday": w, "opens": "09:00", "closes": "17:00"} for w in range(1, 6)]
    )
    targets = SlaTargets(first_response_minutes=120, business_hours_only=True)
    sla = compute_sla(targets, new_york, [SlaFact(datetime(2026, 3, 6, 21, 0, tzinfo=UTC), "inbound")])
    # then it is due Monday 10:00 EDT
    assert sla.first_response_due_at == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_a_calendar_that_never_opens_has_no_deadline():
    closed = validate_business_hours("America/Sao_Paulo", [])
    targets = SlaTargets(first_response_minutes=60, resolution_minutes=60, business_hours_only=True)
    sla = compute_sla(targets, closed, facts((0, "inbound")))
    assert sla.running_deadlines() == []
    assert sla.state(at(10_000)) == "ON_TRACK"
    assert sla.next_check_at(at(0)) is None


# ---------------------------------------------------------------- timers


def test_next_check_at_walks_from_warning_to_breach_to_nothing():
    sla = compute_sla(RESPONSES, None, facts((0, "inbound")))
    assert sla.next_check_at(at(0)) == at(20)
    assert sla.next_check_at(at(20)) == at(30)
    assert sla.next_check_at(at(30)) is None


def test_a_timer_records_each_transition_exactly_once_across_recomputations():
    # given a timer that wakes at next_check_at and records transitions by key
    targets = SlaTargets(
        first_response_minutes=30, next_response_minutes=20, resolution_minutes=60, warn_before_minutes=15
    )
    history = facts((0, "inbound"))
    recorded: list[tuple[str, int, str]] = []
    now = at(0)
    for minutes, kind in ((40, "reply"), (45, "inbound"), (70, "reply"), (75, "resolve"), (80, "reopen")):
        # the timer runs until the next fact, recomputing at every wake
        for _ in range(10):  # bounded: a timer that never moves on is a failure, not a hang
            wake = compute_sla(targets, None, history).next_check_at(now)
            if wake is None or wake > at(minutes):
                break
            assert wake > now
            now = wake
            for transition in compute_sla(targets, None, history).transitions_by(now):
                if transition.key not in recorded:
                    recorded.append(transition.key)
        history.append(SlaFact(at(minutes), kind))
        now = at(minutes)
    # then each warning and breach was recorded once, in the order they happened
    # (first response due 30; resolution 40 minutes used by the reply at 40, then due 65 from
    # 45; the next response due 65 too)
    assert recorded == [
        ("first_response", 0, "warning"),
        ("first_response", 0, "breached"),
        ("next_response", 0, "warning"),
        ("resolution", 0, "warning"),
        ("next_response", 0, "breached"),
        ("resolution", 0, "breached"),
    ]
    # and the last computation holds exactly those keys, each once
    final = compute_sla(targets, None, history).transitions_by(at(10_000))
    assert sorted(t.key for t in final) == sorted(recorded)


def test_nothing_is_pending_for_a_conversation_the_contact_never_wrote_to():
    sla = compute_sla(RESPONSES, None, facts((0, "reply"), (5, "resolve")))
    assert sla.transitions == () and sla.next_check_at(at(0)) is None
    assert sla.state(at(10)) == "MET"


def test_an_unknown_fact_is_a_programming_error():
    with pytest.raises(ValueError):
        SlaFact(T0, "bot_message")
    with pytest.raises(ValueError):
        SlaFact(datetime(2026, 3, 2, 12), "inbound")
