"""Cheap polls (schema/poll.py, resolvers/poll_cache.py): a report query
asked again with nothing committed in between is answered from the
process's cache with no SQL beyond authentication; a committed change is in
the very next answer, even one that committed after a newer one; callers of
different scopes never share an answer; GET answers carry an ETag and a
matching If-None-Match is a 304; the cache stays within its budget.
Developed on inboxReport, the first report field."""

import asyncio
import json

import pytest
import strawberry
from graphql import parse

from revgraph.models.events import Event
from revgraph.models.inbox import Conversation
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.log_position import position_of
from revgraph.resolvers.poll_cache import PollCache
from revgraph.schema import poll
from tests.conftest import REAL_DB, worker_idle
from tests.inbox.clock import freeze
from tests.inbox.support import create_inbox, receive
from tests.inbox.test_report import ASSIGN, REPORT, SNOOZE, around_now, resolve, sla_inbox, talk

RESOLVED = """
query Resolved($range: ReportRange!) { inboxReport(range: $range) { conversations resolved } }
"""


def graphql_view(server):
    from revgraph.web.graphql_view import RevGraphView

    return next(r.app for r in server.app.routes if isinstance(getattr(r, "app", None), RevGraphView))


async def figures(gql, token, range_, query=RESOLVED):
    return (await gql.ok(query, {"range": range_}, token=token))["inboxReport"]


async def conversations(gql, token, count, first_phone=10):
    inbox = await create_inbox(gql, token)
    found = []
    for number in range(count):
        received = await receive(gql, token, inbox["id"], phone=f"+55119911000{first_phone + number}")
        found.append(received["conversation"]["id"])
    return inbox, found


async def settled():
    """The tasks a change set off (a resolution's CSAT survey...) are done:
    they change the workspace too."""
    from revgraph.tasks.broker import EmbeddedBroker, broker

    if isinstance(broker, EmbeddedBroker):
        await broker.join_all(timeout=30)
    else:
        await worker_idle()


def authentication_only(statements):
    """The one statement that reads a session's credential (with the log
    position), and the presence write authentication makes at most once a
    minute (a user's first request after logging in)."""
    credential, *presence = statements
    return (
        '"session"' in credential
        and "sequence_counter" in credential
        and (
            presence == [] or [p.split("=")[0] for p in presence] == ['UPDATE "app_user" SET "last_seen_at"']
        )
    )


async def test_a_repeated_poll_sends_no_sql_beyond_authentication(gql, workspace, count_sql, monkeypatch):
    # given three conversations and a dashboard that read the report once
    token = workspace.token
    await conversations(gql, token, 3)
    range_ = around_now()
    first = await figures(gql, token, range_, REPORT)
    path = graphql_view(gql.server).poll_path
    answered = path.answered
    # when it asks again with nothing committed in between
    with count_sql() as counter:
        again = await figures(gql, token, range_, REPORT)
    # then the answer is the same and only the credential was read, before Strawberry ran
    assert again == first and first["conversations"] == 3
    assert authentication_only(counter.statements), counter.statements
    assert path.answered == answered + 1

    # and the full pipeline, when the poll path steps aside, answers it from the cache too
    async def step_aside(request, token):
        return None

    monkeypatch.setattr(path, "answer", step_aside)
    with count_sql() as counter:
        assert await figures(gql, token, range_, REPORT) == first
    assert authentication_only(counter.statements), counter.statements
    # and other variables are another answer, computed
    with count_sql() as counter:
        other = await figures(gql, token, around_now(hours=2), REPORT)
    assert other["conversations"] == 3 and len(counter.statements) > 1


async def test_a_committed_change_is_in_the_very_next_poll(gql, workspace):
    # given a dashboard polling the report of two conversations
    token = workspace.token
    inbox, (first, _) = await conversations(gql, token, 2)
    range_ = around_now()
    assert await figures(gql, token, range_) == {"conversations": 2, "resolved": 0}
    assert await figures(gql, token, range_) == {"conversations": 2, "resolved": 0}
    # when a conversation is resolved, then the next poll counts it
    await resolve(gql, token, first)
    assert await figures(gql, token, range_) == {"conversations": 2, "resolved": 1}
    # and when a message opens another conversation, the next poll counts that
    await receive(gql, token, inbox["id"], phone="+5511991100099")
    assert await figures(gql, token, range_) == {"conversations": 3, "resolved": 1}


@pytest.mark.skipif(not REAL_DB, reason="SQLite serialises writers: its event ids follow the commit order")
async def test_a_change_committing_after_a_newer_one_is_not_missed(gql, workspace):
    # given two open conversations, polled
    token = workspace.token
    _, (slow_one, fast_one) = await conversations(gql, token, 2)
    range_ = around_now()
    assert await figures(gql, token, range_) == {"conversations": 2, "resolved": 0}
    workspace_id = (await Conversation.get(id=pk_of(slow_one, "Conversation"))).workspace_id
    # and a transaction that resolved one and logged it (the lower event id), not yet committed
    logged, release = asyncio.Event(), asyncio.Event()
    slow_events = []

    async def slow_resolution():
        async with unit_of_work():
            await Conversation.filter(id=pk_of(slow_one, "Conversation")).update(status="RESOLVED")
            slow_events.append(
                await record_event(None, workspace_id, "conversation.resolved", "slowly", actor_label="test")
            )
            logged.set()
            await release.wait()

    slow = asyncio.create_task(slow_resolution())
    await logged.wait()
    # when another resolution (higher event ids) commits first and a dashboard polls twice
    await resolve(gql, token, fast_one)
    assert await figures(gql, token, range_) == {"conversations": 2, "resolved": 1}
    assert await figures(gql, token, range_) == {"conversations": 2, "resolved": 1}
    newest = await Event.filter(workspace_id=workspace_id).order_by("-id").first()
    # and then the slow one commits
    release.set()
    await slow
    # then its event id is below the newest one already seen (a cache keyed by the newest
    # event id would not see it move) but the next poll counts both
    assert slow_events[0].id < newest.id
    assert await figures(gql, token, range_) == {"conversations": 2, "resolved": 2}


async def test_polls_arriving_together_after_a_change_compute_it_once(gql, workspace, count_sql):
    # given a dashboard open on five screens, and what one computation of its poll costs
    token = workspace.token
    _, (first, second) = await conversations(gql, token, 2)
    range_ = around_now()
    await figures(gql, token, range_, REPORT)
    await resolve(gql, token, first)
    await settled()
    with count_sql() as counter:
        await figures(gql, token, range_, REPORT)
    one = len(counter.statements) - 1
    # when a change is made (and what it sets off is done) and the five screens poll at once
    await resolve(gql, token, second)
    await settled()
    with count_sql() as counter:
        answers = await asyncio.gather(*(figures(gql, token, range_, REPORT) for _ in range(5)))
    # then they all see it, and it was computed once (the rest: five credentials)
    assert {a["resolved"] for a in answers} == {2}
    credentials = [sql for sql in counter.statements if "sequence_counter" in sql and '"session"' in sql]
    assert len(credentials) == 5
    assert len(counter.statements) - len(credentials) == one


async def test_callers_with_different_scopes_never_share_an_answer(gql, workspace, count_sql):
    # given another admin, two agents, one with two conversations, one with one, one left unassigned
    token = workspace.token
    other_admin = await workspace.user("ADMIN")
    one, two = await workspace.user("AGENT"), await workspace.user("AGENT")
    _, ids = await conversations(gql, token, 4)
    for conversation_id, agent in zip(ids, (one, one, two), strict=False):
        assigned = await gql.ok(ASSIGN, {"id": conversation_id, "userId": agent["id"]}, token=token)
        assert assigned["assignConversation"]["userErrors"] == []
    range_ = around_now()
    # when each polls the same document with the same variables, twice
    seen = {}
    for who, caller in (("admin", token), ("one", one["token"]), ("two", two["token"])):
        seen[who] = await figures(gql, caller, range_)
        with count_sql() as counter:
            assert await figures(gql, caller, range_) == seen[who]
        assert authentication_only(counter.statements), (who, counter.statements)
    # then each got their own scope's figures (an agent: theirs and none unassigned in a queue)
    assert [seen[who]["conversations"] for who in ("admin", "one", "two")] == [4, 2, 1]
    # and the other ADMIN (the same scope: the whole workspace) is answered from the first one's
    with count_sql() as counter:
        assert await figures(gql, other_admin["token"], range_) == seen["admin"]
    assert authentication_only(counter.statements), counter.statements


async def test_a_figure_that_changes_with_the_clock_is_kept_until_then(gql, workspace, monkeypatch):
    # given a conversation snoozed before its 2-minute first response, polled 30 s after it came in
    clock = freeze(monkeypatch)
    cache = graphql_view(gql.server).poll_cache
    monkeypatch.setattr(cache, "clock", lambda: clock.current.timestamp())
    token = workspace.token
    inbox = await sla_inbox(gql, token)
    snoozed = await talk(gql, token, clock, inbox["id"], "+5511991100051", [("in", 0)])
    await gql.ok(SNOOZE, {"id": snoozed, "until": clock.at(3600)}, token=token)
    clock.advance(30)
    range_ = around_now()
    query = "query($range: ReportRange!) { inboxReport(range: $range) { slaBreached } }"
    assert await figures(gql, token, range_, query) == {"slaBreached": 0}
    position = await position_of(await _workspace_id(snoozed))
    # when its deadline passes with nothing committed
    clock.advance(60)
    assert await figures(gql, token, range_, query) == {"slaBreached": 0}
    clock.advance(31)
    # then the next poll counts the breach
    assert await figures(gql, token, range_, query) == {"slaBreached": 1}
    assert await position_of(await _workspace_id(snoozed)) == position


async def _workspace_id(conversation_id):
    return (await Conversation.get(id=pk_of(conversation_id, "Conversation"))).workspace_id


async def get(gql, token, query, variables, **headers):
    return await gql.http.get(
        gql.server.graphql_url,
        params={"query": query, "variables": json.dumps(variables)},
        headers={"authorization": f"Bearer {token}", **headers},
    )


async def test_a_get_with_the_answers_etag_is_not_modified_until_a_change(gql, workspace, count_sql):
    # given a dashboard that polled the report with GET
    token = workspace.token
    _, (first, _) = await conversations(gql, token, 2)
    variables = {"range": around_now()}
    answered = await get(gql, token, RESOLVED, variables)
    assert answered.status_code == 200
    etag = answered.headers["etag"]
    assert etag.startswith('W/"') and answered.headers["cache-control"] == "private, no-cache"
    # when it polls again with If-None-Match
    with count_sql() as counter:
        again = await get(gql, token, RESOLVED, variables, **{"if-none-match": etag})
    # then 304, no body, the same ETag, only the credential read; the budget still charged
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert authentication_only(counter.statements), counter.statements
    assert int(again.headers["x-ratelimit-used"]) > int(answered.headers["x-ratelimit-used"])
    # and after a change that leaves the figures as they were, recomputed: still 304
    await workspace.team("Plantão")
    with count_sql() as counter:
        unchanged = await get(gql, token, RESOLVED, variables, **{"if-none-match": etag})
    assert unchanged.status_code == 304 and len(counter.statements) > 1
    # and after a change the same request is a 200 with the new figures and a new ETag
    await resolve(gql, token, first)
    changed = await get(gql, token, RESOLVED, variables, **{"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["data"]["inboxReport"] == {"conversations": 2, "resolved": 1}
    # and a POST is answered from the cache too, without ETag (only GETs are conditional)
    posted = await gql.raw({"query": RESOLVED, "variables": variables}, token=token)
    assert posted.json()["data"] == changed.json()["data"] and "etag" not in posted.headers


async def test_a_cached_answer_is_charged_like_a_computed_one(gql, workspace):
    # given a report polled once (computed), then again (cached)
    token = workspace.token
    await conversations(gql, token, 1)
    variables = {"range": around_now()}
    used = []
    for _ in range(3):
        response = await gql.raw({"query": RESOLVED, "variables": variables}, token=token)
        used.append(int(response.headers["x-ratelimit-used"]))
        cost = response.json()["extensions"]["cost"]
    # then each poll drew the same points from the budget, and says what it delivered
    assert used[2] - used[1] == used[1] - used[0] > 0
    assert cost["actual"] == 3


def test_the_cache_stays_within_its_budget():
    # given a cache of 64 KB
    cache = PollCache(64 * 1024)
    answer = {"inboxReport": {"conversations": 1, "padding": "x" * 3000}}
    # when a thousand distinct polls are kept
    for number in range(1000):
        cache.put((1, ("ADMIN",), "query", None, str(number)), 7, answer)
    # then what it holds stays within the budget, the newest kept, the oldest gone
    assert cache.bytes <= 64 * 1024 and 0 < len(cache) < 1000
    assert cache.get((1, ("ADMIN",), "query", None, "999"), 7) is not None
    assert cache.get((1, ("ADMIN",), "query", None, "0"), 7) is None
    # and an answer of more than an eighth of the budget is sent but not kept
    huge = cache.put((1, ("ADMIN",), "query", None, "huge"), 7, {"x": "y" * 9000})
    assert huge.data() == {"x": "y" * 9000} and cache.get((1, ("ADMIN",), "query", None, "huge"), 7) is None


def test_a_slot_holds_one_position_and_never_goes_back():
    cache = PollCache(1024 * 1024)
    slot = (1, ("ADMIN",), "query", None, "{}")
    cache.put(slot, 5, {"n": 5})
    # a request that read another position misses
    assert cache.get(slot, 6) is None and cache.get(slot, 4) is None
    # a newer position replaces the answer; a slower, older one does not come back
    cache.put(slot, 6, {"n": 6})
    cache.put(slot, 5, {"n": 5})
    assert cache.get(slot, 6).data() == {"n": 6} and len(cache) == 1


@strawberry.type
class Figures:
    count: int = 0

    @strawberry.field(metadata=poll.CHANGES_WITH_TIME)
    def seconds_since(self) -> int:
        return 0


@strawberry.type
class SmallQuery:
    @strawberry.field(metadata=poll.REPORT)
    def figures(self) -> Figures:
        return Figures()

    @strawberry.field
    def other(self) -> int:
        return 0


@strawberry.type
class SmallMutation:
    @strawberry.field(metadata=poll.REPORT)
    def touch(self) -> int:
        return 0


@pytest.mark.parametrize(
    ("document", "cacheable"),
    [
        ("{ figures { count } }", True),
        ("query Dashboard { __typename a: figures { count } b: figures { count } }", True),
        ("{ figures { count secondsSince } }", False),
        ("{ figures { ...F } } fragment F on Figures { secondsSince }", False),
        ("{ figures { count } other }", False),
        ("{ other }", False),
        ("{ __typename }", False),
        ("mutation { touch }", False),
    ],
)
def test_only_documents_of_report_fields_with_nothing_moving_by_itself_are_kept(document, cacheable):
    schema = strawberry.Schema(query=SmallQuery, mutation=SmallMutation)._schema
    assert poll.PollVerdicts().cacheable(schema, document, parse(document), None) is cacheable


def test_the_inbox_report_is_a_report_field():
    from revgraph.schema import build_schema

    schema = build_schema()._schema
    assert poll.PollVerdicts().cacheable(schema, REPORT, parse(REPORT), None)


async def test_a_cached_answer_still_needs_a_valid_credential_and_a_budget(gql, workspace, monkeypatch):
    # given a report polled once, so its answer is kept
    token = workspace.token
    await conversations(gql, token, 1)
    body = {"query": RESOLVED, "variables": {"range": around_now()}}
    limiter = graphql_view(gql.server).rate_limiter
    # (with Redis, the leases the shared server holds are let go first, so the caller's
    # is the only one after this: resolvers/rate_limit.py)
    limiter._leases.clear()
    first = await gql.raw(body, token=token)
    cost = first.json()["extensions"]["cost"]
    # when the same poll comes with a token that does not check out
    forged = await gql.raw(body, token=token[:-4] + "AAAA")
    # then it is refused as any operation is, and nothing of the answer is sent
    assert forged.json()["data"] is None
    assert [e["extensions"]["code"] for e in forged.json()["errors"]] == ["UNAUTHENTICATED"]
    # and when the budget covers one more poll only
    # (with Redis, the lease taken when the first answer was admitted is let go too: it
    # counts as used from here on, as another process's would)
    held = sum(lease.unspent for lease in limiter._leases.values())
    limiter._leases.clear()
    monkeypatch.setattr(limiter, "limit", int(first.headers["x-ratelimit-used"]) + held + cost["requested"])
    allowed = await gql.raw(body, token=token)
    refused = await gql.raw(body, token=token)
    # then that poll is answered and the next is a 429 that charged nothing
    assert allowed.status_code == 200 and allowed.json()["data"] == first.json()["data"]
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED"}
    assert refused.headers["x-ratelimit-used"] == allowed.headers["x-ratelimit-used"]


def test_every_report_field_is_kept_for_polls():
    # a report root field (funnel, leadReport, inboxReport, ...) promises what REPORT says
    # (schema/poll.py) and is marked, so dashboards polling it cost no SQL beyond the credential
    from revgraph.schema import build_schema

    query = build_schema()._schema.query_type
    reports = [name for name in query.fields if name == "funnel" or name.endswith("Report")]
    assert "inboxReport" in reports
    unmarked = [name for name in reports if poll.marker(query.fields[name]) != "report"]
    assert unmarked == []
