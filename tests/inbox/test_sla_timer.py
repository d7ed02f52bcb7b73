"""The inbox timers: the SLA check records each WARNING and BREACHED that
falls due exactly once, as stream events automations can match by kind;
snoozed conversations wake at their time. Both read their work from the
database. Time is driven by calling the timers with the test's `now` on a
controlled clock (tests/inbox/clock.py). The server's own timer may run
meanwhile (on the same clock), so the tests assert what was recorded, not
which run recorded it."""

from datetime import timedelta

import pytest

from revgraph.models.events import Event
from revgraph.models.inbox import Conversation
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.inbox import conversations, sla
from revgraph.resolvers.settings import Settings
from tests.inbox.clock import freeze
from tests.inbox.support import CREATE_SLA_POLICY, conversation, create_inbox, receive, send

SNOOZE = "mutation($id: ID!, $until: DateTime!) { snoozeConversation(id: $id, until: $until) { conversation { status snoozedUntil } userErrors { code message field } } }"
SLA_KINDS = ("conversation.sla_warning", "conversation.sla_breached")


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)


async def sla_inbox(gql, token, **policy):
    created = await gql.ok(
        CREATE_SLA_POLICY,
        {"input": {"name": "SLA", "businessHoursOnly": False, **policy}},
        token=token,
    )
    assert created["createSlaPolicy"]["userErrors"] == []
    return await create_inbox(gql, token, slaPolicyId=created["createSlaPolicy"]["slaPolicy"]["id"])


async def check_at(clock, seconds, conversation_id):
    """Run the SLA timer `seconds` after the clock's start; the SLA event
    kinds of the conversation so far."""
    clock.current = clock.start + timedelta(seconds=seconds)
    await sla.check_due(Settings.from_env(), now=clock.current)
    return [e.kind for e in await sla_events(conversation_id)]


async def sla_events(conversation_id):
    return await Event.filter(
        kind__in=SLA_KINDS, conversation_id=pk_of(conversation_id, "Conversation")
    ).order_by("id")


WARNED = ["conversation.sla_warning"]
BREACHED = ["conversation.sla_warning", "conversation.sla_breached"]


async def test_a_missed_first_response_is_warned_once_then_breached_once(gql, workspace, clock):
    # given a conversation of an inbox that wants a first response in 10 minutes, warning 5 before
    inbox = await sla_inbox(gql, workspace.token, firstResponseMinutes=10, warnBeforeMinutes=5)
    conv = (await receive(gql, workspace.token, inbox["id"], at=clock.at()))["conversation"]
    # when the timer looks before the warning, at it, again, at the deadline, and later
    seen = [
        await check_at(clock, s, conv["id"]) for s in (4 * 60, 5 * 60, 5 * 60 + 1, 10 * 60, 20 * 60, 3600)
    ]
    # then one WARNING at 5 minutes, one BREACHED at 10, nothing more
    assert seen == [[], WARNED, WARNED, BREACHED, BREACHED, BREACHED]
    events = await sla_events(conv["id"])
    assert [(e.data["transition"], e.data["target"], e.data["slaState"]) for e in events] == [
        ("warning", "first_response", "WARNING"),
        ("breached", "first_response", "BREACHED"),
    ]
    # and each is on the inbox stream, in order
    assert all(e.inbox_sequence is not None for e in events)
    assert events[0].inbox_sequence < events[1].inbox_sequence
    # and the conversation stores its state, what was recorded, and no further check
    row = await Conversation.get(id=pk_of(conv["id"], "Conversation"))
    assert row.sla_state == "BREACHED" and row.sla_next_check_at is None
    assert row.sla_recorded == [["first_response", 0, "warning"], ["first_response", 0, "breached"]]


async def test_a_reply_in_time_is_warned_but_never_breached(gql, workspace, clock):
    # given a conversation warned 5 minutes before its 10-minute deadline
    inbox = await sla_inbox(gql, workspace.token, firstResponseMinutes=10, warnBeforeMinutes=5)
    conv = (await receive(gql, workspace.token, inbox["id"], at=clock.at()))["conversation"]
    assert await check_at(clock, 6 * 60, conv["id"]) == WARNED
    # when the agent replies before the deadline
    clock.current = clock.start + timedelta(minutes=8)
    assert (await send(gql, workspace.token, conv["id"]))["userErrors"] == []
    # then the deadline passing records nothing
    assert [await check_at(clock, s, conv["id"]) for s in (10 * 60, 30 * 60)] == [WARNED, WARNED]
    row = await Conversation.get(id=pk_of(conv["id"], "Conversation"))
    assert row.sla_state == "ON_TRACK" and row.sla_next_check_at is None


async def test_a_warning_due_before_the_timer_looked_is_recorded_though_a_reply_came_first(
    gql, workspace, clock
):
    # given a warning that fell due at 5 minutes, with no timer run since
    inbox = await sla_inbox(gql, workspace.token, firstResponseMinutes=10, warnBeforeMinutes=5)
    conv = (await receive(gql, workspace.token, inbox["id"], at=clock.at()))["conversation"]
    # when the reply comes at 6 minutes, before the timer looks
    clock.current = clock.start + timedelta(minutes=6)
    assert (await send(gql, workspace.token, conv["id"]))["userErrors"] == []
    # then the timer still records the warning, once, and never a breach
    seen = [await check_at(clock, s, conv["id"]) for s in (6 * 60 + 5, 7 * 60, 20 * 60)]
    assert seen == [WARNED, WARNED, WARNED]


async def test_backfilled_history_is_not_announced_by_the_timer(gql, workspace, clock):
    # given a first message backfilled an hour back into a 10-minute policy
    inbox = await sla_inbox(gql, workspace.token, firstResponseMinutes=10, warnBeforeMinutes=5)
    conv = (await receive(gql, workspace.token, inbox["id"], at=clock.at(-3600)))["conversation"]
    # when the timer looks
    seen = await check_at(clock, 60, conv["id"])
    # then the breach is the conversation's state, shown with its message, not a timer event
    assert seen == []
    assert (await Conversation.get(id=pk_of(conv["id"], "Conversation"))).sla_state == "BREACHED"


async def test_a_snoozed_conversation_wakes_at_its_time(gql, workspace, clock):
    # given a conversation snoozed for an hour
    inbox = await create_inbox(gql, workspace.token)
    conv = (await receive(gql, workspace.token, inbox["id"], at=clock.at()))["conversation"]
    until = clock.current + timedelta(hours=1)
    snoozed = await gql.ok(SNOOZE, {"id": conv["id"], "until": until.isoformat()}, token=workspace.token)
    assert snoozed["snoozeConversation"]["userErrors"] == []
    settings = Settings.from_env()
    # when the timer looks a second early
    assert await conversations.wake_due(settings, now=until - timedelta(seconds=1)) == 0
    # then it still sleeps
    assert (await conversation(gql, workspace.token, conv["id"]))["status"] == "SNOOZED"
    # and when it looks at its time, it wakes, once
    assert await conversations.wake_due(settings, now=until) == 1
    assert await conversations.wake_due(settings, now=until + timedelta(minutes=1)) == 0
    woke = await conversation(gql, workspace.token, conv["id"])
    assert woke["status"] == "OPEN"
    changes = (
        await Event.filter(
            kind="conversation.status_changed", conversation_id=pk_of(conv["id"], "Conversation")
        )
        .order_by("id")
        .values_list("data", flat=True)
    )
    assert [(d["from"], d["to"]) for d in changes] == [("OPEN", "SNOOZED"), ("SNOOZED", "OPEN")]
