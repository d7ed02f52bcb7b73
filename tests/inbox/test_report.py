"""inboxReport: the conversations created in a range that the caller sees,
their first response, waits, handle and resolution times from the metrics
ledger (nearest-rank median and p90), their SLA outcome and CSAT.
Histories are built through the API on a controlled clock (tests/inbox/
clock.py), so every duration is exact."""

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from revgraph.resolvers.inbox import sla
from revgraph.resolvers.settings import Settings
from tests.inbox.clock import freeze
from tests.inbox.support import CREATE_SLA_POLICY, conversation, create_inbox, receive, send

STATS = "count averageSeconds medianSeconds p90Seconds"
REPORT = f"""
query Report($range: ReportRange!, $inboxId: ID, $teamId: ID, $assigneeId: ID) {{
  inboxReport(range: $range, inboxId: $inboxId, teamId: $teamId, assigneeId: $assigneeId) {{
    conversations resolved
    firstResponse {{ {STATS} }} waitTime {{ {STATS} }} handleTime {{ {STATS} }} resolution {{ {STATS} }}
    slaMet slaBreached csatAverage csatResponses
  }}
}}
"""
RESOLVE = "mutation($id: ID!) { resolveConversation(id: $id) { conversation { id status } userErrors { code field } } }"
ASSIGN = "mutation($id: ID!, $userId: ID) { assignConversation(id: $id, userId: $userId) { userErrors { code field } } }"
SNOOZE = "mutation($id: ID!, $until: DateTime!) { snoozeConversation(id: $id, until: $until) { conversation { status } userErrors { code } } }"
NONE = {"count": 0, "averageSeconds": None, "medianSeconds": None, "p90Seconds": None}
EMPTY = {
    "conversations": 0,
    "resolved": 0,
    "firstResponse": NONE,
    "waitTime": NONE,
    "handleTime": NONE,
    "resolution": NONE,
    "slaMet": 0,
    "slaBreached": 0,
    "csatAverage": None,
    "csatResponses": 0,
}


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)


def around_now(hours: float = 1) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "from": (now - timedelta(hours=hours)).isoformat(),
        "to": (now + timedelta(hours=hours)).isoformat(),
    }


async def report(gql, token, range_, **narrowed):
    return (await gql.ok(REPORT, {"range": range_, **narrowed}, token=token))["inboxReport"]


async def resolve(gql, token, conversation_id):
    data = await gql.ok(RESOLVE, {"id": conversation_id}, token=token)
    assert data["resolveConversation"]["userErrors"] == []


async def rate(gql, token, conversation_id, rating):
    """Answer the conversation's CSAT survey through its public page."""
    seen = await conversation(gql, token, conversation_id)
    bodies = [edge["node"]["body"] for edge in seen["messages"]["edges"]]
    link = next(match for body in bodies if (match := re.search(r"/csat/([\w-]+)", body)))
    response = await gql.http.post(f"{gql.server.url}/csat/{link.group(1)}", data={"rating": str(rating)})
    assert response.status_code == 200, response.text


async def talk(gql, token, clock, inbox_id, phone, script):
    """A conversation on the clock: ("in", wait seconds) the contact writes
    after the wait, ("out", s) the admin replies, ("resolve", s) resolves."""
    conversation_id = None
    for step, seconds in script:
        clock.advance(seconds)
        if step == "in":
            received = await receive(gql, token, inbox_id, phone=phone, at=clock.at())
            conversation_id = received["conversation"]["id"]
        elif step == "out":
            assert (await send(gql, token, conversation_id))["userErrors"] == []
        else:
            await resolve(gql, token, conversation_id)
    return conversation_id


async def sla_inbox(gql, token):
    policy = await gql.ok(
        CREATE_SLA_POLICY,
        {
            "input": {
                "name": "Primeira resposta em 2 min",
                "firstResponseMinutes": 2,
                "businessHoursOnly": False,
                "warnBeforeMinutes": 1,
            }
        },
        token=token,
    )
    assert policy["createSlaPolicy"]["userErrors"] == []
    return await create_inbox(gql, token, slaPolicyId=policy["createSlaPolicy"]["slaPolicy"]["id"])


async def test_every_figure_of_a_known_history(gql, workspace, clock):
    # given four conversations of an inbox whose policy wants a first response in 2 minutes
    token = workspace.token
    inbox = await sla_inbox(gql, token)
    a = await talk(
        gql,
        token,
        clock,
        inbox["id"],
        "+5511990000001",
        [("in", 0), ("out", 60), ("in", 40), ("out", 120), ("resolve", 180)],
    )
    b = await talk(
        gql, token, clock, inbox["id"], "+5511990000002", [("in", 0), ("out", 300), ("resolve", 700)]
    )
    await talk(gql, token, clock, inbox["id"], "+5511990000003", [("in", 0), ("out", 30)])
    await talk(gql, token, clock, inbox["id"], "+5511990000004", [("in", 0)])
    # and the last one's first response overdue when the SLA timer looks
    clock.advance(200)
    await sla.check_due(Settings.from_env(), now=clock.current)
    # and two contacts rated the service
    await rate(gql, token, a, 5)
    await rate(gql, token, b, 2)
    # when the admin reads the report
    figures = await report(gql, token, around_now())
    # then every figure is exact, medians and p90 by nearest rank
    assert figures == {
        "conversations": 4,
        "resolved": 2,
        # 30, 60, 300
        "firstResponse": {"count": 3, "averageSeconds": 130, "medianSeconds": 60, "p90Seconds": 300},
        # 30, 60, 120, 300: the mean 127.5 rounds half up, the median is the 2nd value (not 90)
        "waitTime": {"count": 4, "averageSeconds": 128, "medianSeconds": 60, "p90Seconds": 300},
        # a: 400 - 60, b: 1000 - 300
        "handleTime": {"count": 2, "averageSeconds": 520, "medianSeconds": 340, "p90Seconds": 700},
        "resolution": {"count": 2, "averageSeconds": 700, "medianSeconds": 400, "p90Seconds": 1000},
        # a answered in time and resolved; b answered late; the last one never answered
        "slaMet": 1,
        "slaBreached": 2,
        "csatAverage": 3.5,
        "csatResponses": 2,
    }


async def test_a_snoozed_conversation_past_its_deadline_counts_as_breached(gql, workspace, clock):
    # given two conversations snoozed before anyone answered, under a 2-minute first response
    token = workspace.token
    inbox = await sla_inbox(gql, token)
    late = await talk(gql, token, clock, inbox["id"], "+5511990000031", [("in", 0)])
    clock.advance(100)
    timely = await talk(gql, token, clock, inbox["id"], "+5511990000032", [("in", 0)])
    for conversation_id in (late, timely):
        snoozed = await gql.ok(SNOOZE, {"id": conversation_id, "until": clock.at(3600)}, token=token)
        assert snoozed["snoozeConversation"]["conversation"]["status"] == "SNOOZED"
    # when the first one's deadline has passed while it sleeps, the second's not yet
    clock.advance(30)
    figures = await report(gql, token, around_now())
    # then the first counts as breached (its stored state says PAUSED), the second as nothing yet
    assert (figures["conversations"], figures["slaBreached"], figures["slaMet"]) == (2, 1, 0)


async def test_a_range_counts_the_conversations_created_in_it(gql, workspace, clock):
    # given two conversations created before an instant and one after it
    token = workspace.token
    inbox = await create_inbox(gql, token)
    start = datetime.now(UTC)
    await talk(gql, token, clock, inbox["id"], "+5511990000011", [("in", 0), ("out", 10), ("resolve", 20)])
    await talk(gql, token, clock, inbox["id"], "+5511990000012", [("in", 0), ("out", 40)])
    await asyncio.sleep(0.01)
    cut = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await talk(gql, token, clock, inbox["id"], "+5511990000013", [("in", 0), ("out", 70), ("resolve", 5)])
    end = datetime.now(UTC) + timedelta(seconds=1)
    # when the report is read before and after the instant
    before = await report(gql, token, {"from": start.isoformat(), "to": cut.isoformat()})
    after = await report(gql, token, {"from": cut.isoformat(), "to": end.isoformat()})
    # then each range counts only its conversations, and what they measured
    assert (before["conversations"], before["resolved"]) == (2, 1)
    assert before["firstResponse"] == {
        "count": 2,
        "averageSeconds": 25,
        "medianSeconds": 10,
        "p90Seconds": 40,
    }
    assert before["resolution"] == {"count": 1, "averageSeconds": 30, "medianSeconds": 30, "p90Seconds": 30}
    assert (after["conversations"], after["resolved"]) == (1, 1)
    assert after["firstResponse"] == {"count": 1, "averageSeconds": 70, "medianSeconds": 70, "p90Seconds": 70}
    assert after["handleTime"] == {"count": 1, "averageSeconds": 5, "medianSeconds": 5, "p90Seconds": 5}
    # and a range with no conversation has zeros and nulls
    past = datetime.now(UTC) - timedelta(days=30)
    empty = await report(gql, token, {"from": past.isoformat(), "to": (past + timedelta(days=1)).isoformat()})
    assert empty == EMPTY


async def test_filters_only_narrow_and_an_agent_counts_what_they_see(gql, workspace, clock):
    # given agent 1 in a team below another, agent 2 elsewhere
    token = workspace.token
    parent = await workspace.team("Vendas")
    child = await workspace.team("Vendas SP", parent_id=parent["id"])
    agent1 = await workspace.user("AGENT", team_id=child["id"])
    agent2 = await workspace.user("AGENT")
    # and conversations of two inboxes: agent 1 has one in each, agent 2 one, one is unassigned
    first, second = await create_inbox(gql, token), await create_inbox(gql, token)
    owners = [(first, agent1), (first, agent2), (first, None), (second, agent1)]
    for number, (inbox, agent) in enumerate(owners):
        conversation_id = await talk(gql, token, clock, inbox["id"], f"+551199000002{number}", [("in", 0)])
        if agent is not None:
            assigned = await gql.ok(ASSIGN, {"id": conversation_id, "userId": agent["id"]}, token=token)
            assert assigned["assignConversation"]["userErrors"] == []
    everything = around_now()
    # when the admin narrows by inbox, assignee and team (its subtree)
    assert (await report(gql, token, everything))["conversations"] == 4
    assert (await report(gql, token, everything, inboxId=second["id"]))["conversations"] == 1
    assert (await report(gql, token, everything, assigneeId=agent1["id"]))["conversations"] == 2
    assert (await report(gql, token, everything, teamId=parent["id"]))["conversations"] == 2
    assert (await report(gql, token, everything, teamId=parent["id"], inboxId=first["id"]))[
        "conversations"
    ] == 1
    # then an agent's report counts only what they see, and narrowing never widens it
    assert (await report(gql, agent1["token"], everything))["conversations"] == 2
    assert (await report(gql, agent1["token"], everything, assigneeId=agent2["id"]))["conversations"] == 0
    assert (await report(gql, agent2["token"], everything))["conversations"] == 1


async def test_a_bad_range_or_an_unknown_id_is_a_top_level_error(gql, workspace, other_workspace):
    # given an inbox of another workspace
    theirs = await create_inbox(gql, other_workspace.token)
    now = datetime.now(UTC)
    cases = [
        ({"range": {"from": now.isoformat(), "to": now.isoformat()}}, "INVALID", ["range", "from"]),
        (
            {"range": {"from": (now - timedelta(days=401)).isoformat(), "to": now.isoformat()}},
            "INVALID",
            ["range", "to"],
        ),
        ({"range": around_now(), "inboxId": theirs["id"]}, "NOT_FOUND", ["inboxId"]),
        ({"range": around_now(), "teamId": "not-an-id"}, "NOT_FOUND", ["teamId"]),
        ({"range": around_now(), "assigneeId": theirs["id"]}, "NOT_FOUND", ["assigneeId"]),
    ]
    for variables, code, field in cases:
        # when the report is asked with it
        body = await gql(REPORT, variables, token=workspace.token)
        # then it is a top-level error naming the argument, and no report
        assert body["data"] is None, variables
        [error] = body["errors"]
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field), variables
    # and 400 days is allowed
    allowed = {"from": (now - timedelta(days=400)).isoformat(), "to": now.isoformat()}
    assert await report(gql, workspace.token, allowed) == EMPTY


async def test_the_report_needs_a_caller(gql):
    body = await gql(REPORT, {"range": around_now()})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_report_costs_the_same_sql_for_few_or_many_conversations(gql, workspace, clock, count_sql):
    # given an inbox with a policy, a snoozed conversation (its SLA is recomputed) and a resolved one
    token = workspace.token
    inbox = await sla_inbox(gql, token)

    async def grow(first_phone):
        snoozed = await talk(gql, token, clock, inbox["id"], f"+55119900004{first_phone}", [("in", 0)])
        await gql.ok(SNOOZE, {"id": snoozed, "until": clock.at(3600)}, token=token)
        script = [("in", 0), ("out", 10), ("resolve", 10)]
        await talk(gql, token, clock, inbox["id"], f"+55119900004{first_phone + 1}", script)

    async def statements():
        # The tasks the conversations set off (in-process on the embedded
        # backend) are writes in flight: a report computation waits for them
        # and then reads the log's position again, one statement more.
        from tests.reports.test_poll_cache import settled  # (it imports this module)

        await settled()
        with count_sql() as counter:
            await report(gql, token, around_now())
        return len(counter.statements)

    await grow(10)
    few = await statements()
    # when there are three times as many
    await grow(20)
    await grow(30)
    # then reading the report sends as many statements
    assert (await report(gql, token, around_now()))["conversations"] == 6
    assert await statements() == few
