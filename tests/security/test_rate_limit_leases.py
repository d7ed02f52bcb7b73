"""Leases of the rate limit (resolvers/rate_limit.py): a process admitting
and charging operations, or answering polls from the poll cache, draws
their points from a chunk of the caller's budget taken from Redis at once,
so most requests make no round trip to Redis; the budget stays shared by every process and is never overdrawn; a
caller spread over several processes is refused at most a lease per
process early, and the headers count other processes' unspent leases as
used. Without Redis, budgets are per process and exact, as before."""

import asyncio
import dataclasses
import itertools
import time
import uuid

import httpx
import pytest
import redis.asyncio as aioredis

from revgraph.resolvers.context import Actor
from revgraph.resolvers.rate_limit import LEASE_POLLS, RateLimiter, budget_owner
from tests.conftest import REAL_REDIS
from tests.inbox.test_report import around_now
from tests.reports.test_poll_cache import RESOLVED, conversations, graphql_view
from tests.security.test_rate_limit import ME

ACTOR = Actor(workspace_id=10_001, user_id=20_002, role="ADMIN")
NEEDS_REDIS = pytest.mark.skipif(not REAL_REDIS, reason="budgets shared across processes need Redis")


def limiter(server, limit, prefix=None):
    """A RateLimiter as one server process has it: the test server's
    settings, `limit` points, budgets under `prefix` in Redis (when the
    run has Redis)."""
    settings = server.settings
    return RateLimiter(
        dataclasses.replace(
            settings,
            limits=dataclasses.replace(settings.limits, rate_limit_points=limit),
            redis_prefix=prefix or f"{settings.redis_prefix}-{uuid.uuid4().hex[:6]}",
        )
    )


def count_redis_commands(limiter):
    """Wraps the limiter's Redis client: the list fills with each command sent."""
    sent = []
    client = limiter._redis
    original = client.execute_command

    async def counted(*args, **kwargs):
        sent.append(args[0])
        return await original(*args, **kwargs)

    client.execute_command = counted
    return sent


async def redis_total(limiter, actor):
    """The window's total of the caller's budget in Redis."""
    client = aioredis.from_url(REAL_REDIS)
    try:
        window = int(time.time() // limiter.window)
        value = await client.get(f"{limiter.prefix}:{budget_owner(actor)}:{window}")
    finally:
        await client.aclose()
    return int(value or 0)


async def test_a_caller_on_one_process_is_refused_exactly_when_the_budget_cannot_cover_a_poll(server):
    # given a budget of 100 points, with Redis when the run has it, in memory otherwise
    one = limiter(server, 100)
    try:
        # when polls that may cost 10 and deliver 3 are spent until one is refused
        budgets = []
        while not budgets or budgets[-1].allowed:
            budgets.append(await one.spend(ACTOR, 10, 3))
    finally:
        await one.aclose()
    # then exactly the polls whose worst case fitted were answered: 3 × 30 + 10 > 100
    allowed = [b for b in budgets if b.allowed]
    assert len(allowed) == 31
    # and each said what the caller had spent, no more (what the process leased is its own)
    assert [b.used for b in allowed] == [3 * n for n in range(1, 32)]
    assert budgets[-1].used == 93 and budgets[-1].remaining == 7


@NEEDS_REDIS
async def test_polls_spend_from_a_lease_without_a_round_trip_to_redis_each(server):
    # given one process and a budget roomy enough for leases of 16 polls
    one = limiter(server, 100_000)
    sent = count_redis_commands(one)
    try:
        # when a hundred polls (worst case 5, delivering 3) are spent
        budgets = [await one.spend(ACTOR, 5, 3) for _ in range(100)]
        total = await redis_total(one, ACTOR)
    finally:
        await one.aclose()
    # then all were answered, each counted exactly
    assert all(b.allowed for b in budgets)
    assert [b.used for b in budgets] == [3 * n for n in range(1, 101)]
    # with one Redis command per lease of 16 polls' worst case (80 points), not one per poll:
    # a lease lasts while it covers the worst case, 26 polls delivering 3
    assert sent.count("EVALSHA") == 4, sent
    # and Redis counts the leases, which cover what was spent
    assert total == 4 * 5 * LEASE_POLLS >= 300


@NEEDS_REDIS
async def test_two_processes_never_overdraw_a_shared_budget(server):
    # given two processes sharing one caller's budget of 4,800 points in Redis
    prefix = f"{server.settings.redis_prefix}-{uuid.uuid4().hex[:6]}"
    processes = [limiter(server, 4_800, prefix), limiter(server, 4_800, prefix)]
    try:
        # when both answer polls (worst case 5, delivering 3) concurrently until both refuse
        allowed = 0
        while True:
            budgets = await asyncio.gather(*(p.spend(ACTOR, 5, 3) for p in processes for _ in range(4)))
            allowed += sum(b.allowed for b in budgets)
            if not any(b.allowed for b in budgets):
                break
        total = await redis_total(processes[0], ACTOR)
    finally:
        for process in processes:
            await process.aclose()
    # then the points leased, and so those spent, stayed within the budget
    assert total <= 4_800
    assert 3 * allowed <= total
    # and at the end neither held back more than a poll's worst case of it
    assert 3 * allowed > 4_800 - 2 * 5 - 5


@NEEDS_REDIS
async def test_a_caller_on_two_processes_is_refused_at_most_the_others_lease_early(server):
    # given two processes sharing a budget of 4,800 points, the first holding a lease
    prefix = f"{server.settings.redis_prefix}-{uuid.uuid4().hex[:6]}"
    one, two = limiter(server, 4_800, prefix), limiter(server, 4_800, prefix)
    try:
        assert (await one.spend(ACTOR, 5, 3)).allowed
        leased = await redis_total(one, ACTOR)
        # when the second answers polls until it refuses
        answered_by_two = 0
        while (budget := await two.spend(ACTOR, 5, 3)).allowed:
            answered_by_two += 1
        # then it was refused no earlier than the first's lease and a poll's worst case
        assert 3 + 3 * answered_by_two > 4_800 - leased - 5
        # and its headers counted the first's unspent lease as used (more than was spent)
        assert budget.used == leased + 3 * answered_by_two > 3 + 3 * answered_by_two
        # and the first still answers from its lease, with no more room in Redis
        sent = count_redis_commands(one)
        answered_by_one = 0
        while (await one.spend(ACTOR, 5, 3)).allowed:
            answered_by_one += 1
        assert answered_by_one == (leased - 3 - 5) // 3 + 1
        assert sent.count("EVALSHA") == 1  # the refusal's attempt at a new lease
        assert await redis_total(one, ACTOR) <= 4_800
    finally:
        await one.aclose()
        await two.aclose()


@NEEDS_REDIS
async def test_two_app_instances_share_one_budget_through_their_leases(gql, workspace, private_server):
    # given two app instances sharing one Redis budget, and a report the first keeps
    prefix = f"{gql.server.settings.redis_prefix}-{uuid.uuid4().hex[:6]}"
    one = await private_server(limits={"rate_limit_points": 100_000}, redis_prefix=prefix)
    two = await private_server(limits={"rate_limit_points": 100_000}, redis_prefix=prefix)
    await conversations(gql, workspace.token, 2)
    body = {"query": RESOLVED, "variables": {"range": around_now()}}
    headers = {"authorization": f"Bearer {workspace.token}"}
    admin = await admin_actor(workspace)
    async with httpx.AsyncClient() as http:
        computed = await http.post(one.graphql_url, json=body, headers=headers)
        cost = computed.json()["extensions"]["cost"]
        # when the first answers the repeated poll from its cache a few times
        polls = [await http.post(one.graphql_url, json=body, headers=headers) for _ in range(5)]
        leased = await redis_total(graphql_view(one).rate_limiter, admin)
        # and the second instance is asked something
        seen_by_two = await http.post(two.graphql_url, json={"query": ME}, headers=headers)
    # then each poll was charged what it delivers, exactly, for the caller on that process
    assert all(r.json()["data"] == computed.json()["data"] for r in polls)
    used = [int(r.headers["x-ratelimit-used"]) for r in [computed, *polls]]
    assert [b - a for a, b in itertools.pairwise(used)] == [cost["actual"]] * 5
    # from one lease of 16 operations' worst case, taken from Redis once when the first was admitted
    assert leased == max(cost["requested"], cost["actual"]) * LEASE_POLLS
    # and the second instance counted the first's unspent lease as used
    assert seen_by_two.status_code == 200
    assert int(seen_by_two.headers["x-ratelimit-used"]) == leased + 2


@NEEDS_REDIS
async def test_queries_are_admitted_and_charged_from_a_lease_without_two_round_trips_each(
    workspace, private_server
):
    # given an app instance with budgets in Redis, roomy enough for leases of 16 operations
    one = await private_server(limits={"rate_limit_points": 100_000})
    limiter = graphql_view(one).rate_limiter
    sent = count_redis_commands(limiter)
    headers = {"authorization": f"Bearer {workspace.token}"}
    async with httpx.AsyncClient() as http:
        # when the caller asks `{ me { id } }` (2 points) 32 times
        responses = [await http.post(one.graphql_url, json={"query": ME}, headers=headers) for _ in range(32)]
    total = await redis_total(limiter, await admin_actor(workspace))
    # then each was answered and charged its 2 points, exactly
    assert all(r.status_code == 200 and r.json()["data"]["me"] for r in responses)
    assert [int(r.headers["x-ratelimit-used"]) for r in responses] == [2 * n for n in range(1, 33)]
    assert [r.json()["extensions"]["cost"]["rateLimit"]["used"] for r in responses][-1] == 64
    # with one Redis command per lease of 16 operations' worst case, not one to admit and one to charge
    assert sent.count("EVALSHA") == 2, sent
    assert len(sent) == 2, sent
    # and Redis counts the leases, which cover what was spent
    assert total == 2 * 2 * LEASE_POLLS == 64


@NEEDS_REDIS
async def test_an_operation_the_lease_cannot_cover_is_refused_as_without_leases(workspace, private_server):
    # given a budget of 10 points in Redis, too small for a lease beyond one operation
    tight = await private_server(limits={"rate_limit_points": 10})
    headers = {"authorization": f"Bearer {workspace.token}"}
    async with httpx.AsyncClient() as http:
        # when the caller asks `{ me { id } }` (2 points) six times
        responses = [
            await http.post(tight.graphql_url, json={"query": ME}, headers=headers) for _ in range(6)
        ]
    # then five were answered, counted exactly, and the sixth refused with nothing left
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert [r.headers["x-ratelimit-used"] for r in responses] == ["2", "4", "6", "8", "10", "10"]
    assert responses[-1].json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


async def admin_actor(workspace):
    from revgraph.models.identity import User
    from revgraph.resolvers.ids import pk_of

    user = await User.get(id=pk_of(workspace.admin["id"], "User"))
    return Actor(user.workspace_id, user.id, "ADMIN")
