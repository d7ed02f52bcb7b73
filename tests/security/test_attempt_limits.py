"""Throttles on guessing hold under concurrency (RELIABILITY.md "Throttles
hold under concurrency"): an attempt is reserved before the password check,
so parallel wrong passwords cannot all read the count before any is stored.
Failed log-ins: 10 per e-mail and 100 per client IP in 15 minutes; failed
sign-ups (a taken e-mail): 20 per client IP in an hour. Successful log-ins
and sign-ups do not count."""

import asyncio
import uuid

import httpx
import pytest

from revgraph.models.identity import Session, User, Workspace
from tests.conftest import REAL_REDIS
from tests.support import LOG_IN, PASSWORD, SIGN_UP, GraphQLClient, sign_up

WRONG = "not the password"


async def log_in(gql, email, password):
    return (await gql.ok(LOG_IN, {"input": {"email": email, "password": password}}))["logIn"]


def code_of(payload):
    return payload["userErrors"][0]["code"] if payload["userErrors"] else "OK"


async def sessions_of(email):
    return await Session.filter(user__email=email).count()


async def test_twenty_five_parallel_wrong_passwords_give_ten_invalid_and_the_rest_limit_exceeded(
    private_server,
):
    # given a server with the default throttle and an account on it
    server = await private_server()
    async with httpx.AsyncClient(timeout=60) as http:
        gql = GraphQLClient(server, http)
        account = await sign_up(gql)
        # when 25 wrong passwords for that e-mail arrive at once
        results = await asyncio.gather(*(log_in(gql, account.email, WRONG) for _ in range(25)))
    # then only the first 10 were checked; the others were refused before any check
    codes = sorted(code_of(r) for r in results)
    assert codes == ["INVALID"] * 10 + ["LIMIT_EXCEEDED"] * 15
    refused = next(r for r in results if code_of(r) == "LIMIT_EXCEEDED")
    assert refused["userErrors"][0]["field"] == ["input", "email"]
    assert "Muitas tentativas de entrada com falha" in refused["userErrors"][0]["message"]
    # and no session was opened besides the sign-up's
    assert all(r["token"] is None for r in results)
    assert await sessions_of(account.email) == 1


async def test_a_correct_password_below_the_limit_logs_in_and_does_not_count(private_server):
    server = await private_server()
    async with httpx.AsyncClient(timeout=60) as http:
        gql = GraphQLClient(server, http)
        account = await sign_up(gql)
        # given nine failures
        for _ in range(9):
            assert code_of(await log_in(gql, account.email, WRONG)) == "INVALID"
        # when the right password comes
        right = await log_in(gql, account.email, PASSWORD)
        # then it logs in
        assert right["token"] and right["userErrors"] == []
        # and it did not count: one more failure is still allowed, the next attempt is not
        assert code_of(await log_in(gql, account.email, WRONG)) == "INVALID"
        refused = await log_in(gql, account.email, PASSWORD)
    assert code_of(refused) == "LIMIT_EXCEEDED" and refused["token"] is None
    assert await sessions_of(account.email) == 2


async def test_failures_are_also_counted_per_client_ip_across_e_mails(private_server):
    # given a server allowing 3 failed log-ins per client IP
    server = await private_server(limits={"login_failures_per_ip": 3})
    async with httpx.AsyncClient(timeout=60) as http:
        gql = GraphQLClient(server, http)
        account = await sign_up(gql)
        # when three different unknown e-mails fail from one address
        for _ in range(3):
            unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
            assert code_of(await log_in(gql, unknown, WRONG)) == "INVALID"
        # then even a correct log-in from that address is refused, and opens no session
        refused = await log_in(gql, account.email, PASSWORD)
    assert code_of(refused) == "LIMIT_EXCEEDED" and refused["token"] is None
    assert await sessions_of(account.email) == 1


@pytest.mark.skipif(not REAL_REDIS, reason="counters shared across processes need Redis")
async def test_parallel_wrong_passwords_on_two_servers_share_one_count_through_redis(server, private_server):
    # given two servers sharing a Redis prefix, as two API processes do
    prefix = f"{server.settings.redis_prefix}-{uuid.uuid4().hex[:6]}"
    one = await private_server(redis_prefix=prefix)
    two = await private_server(redis_prefix=prefix)
    async with httpx.AsyncClient(timeout=60) as http:
        via = [GraphQLClient(one, http), GraphQLClient(two, http)]
        account = await sign_up(via[0])
        # when 25 wrong passwords arrive at once, alternating between them
        results = await asyncio.gather(*(log_in(via[i % 2], account.email, WRONG) for i in range(25)))
    # then the two together checked only 10
    codes = sorted(code_of(r) for r in results)
    assert codes == ["INVALID"] * 10 + ["LIMIT_EXCEEDED"] * 15
    assert await sessions_of(account.email) == 1


async def sign_up_as(gql, email):
    variables = {"input": {"workspaceName": "Sondagem", "name": "Quem", "email": email, "password": PASSWORD}}
    return (await gql.ok(SIGN_UP, variables))["signUp"]


async def test_twenty_five_parallel_sign_ups_with_a_taken_e_mail_give_twenty_duplicate_then_limit_exceeded(
    private_server,
):
    # given a server with the default sign-up throttle and an account on it
    server = await private_server()
    async with httpx.AsyncClient(timeout=60) as http:
        gql = GraphQLClient(server, http)
        account = await sign_up(gql)
        # when 25 sign-ups probe its e-mail at once from one address
        results = await asyncio.gather(*(sign_up_as(gql, account.email) for _ in range(25)))
    # then 20 learn that it is taken, and the rest are refused before the look-up
    assert sorted(code_of(r) for r in results) == ["DUPLICATE"] * 20 + ["LIMIT_EXCEEDED"] * 5
    refused = next(r for r in results if code_of(r) == "LIMIT_EXCEEDED")
    assert refused["userErrors"][0]["field"] is None
    assert "Muitas tentativas de cadastro com falha" in refused["userErrors"][0]["message"]
    # and nothing was created
    assert all(r["token"] is None for r in results)
    assert await Workspace.all().count() == 1


async def test_a_successful_sign_up_does_not_count_and_a_refused_one_creates_nothing(private_server):
    server = await private_server(limits={"signup_failures_per_ip": 3})
    async with httpx.AsyncClient(timeout=60) as http:
        gql = GraphQLClient(server, http)
        account = await sign_up(gql)
        # given two failed sign-ups and then a successful one
        for _ in range(2):
            assert code_of(await sign_up_as(gql, account.email)) == "DUPLICATE"
        await sign_up(gql)  # (asserts that it succeeded)
        # then a third failure is still allowed
        assert code_of(await sign_up_as(gql, account.email)) == "DUPLICATE"
        # and past it even a free e-mail is refused, creating no workspace and no user
        fresh = f"fresh-{uuid.uuid4().hex[:8]}@example.com"
        refused = await sign_up_as(gql, fresh)
    assert code_of(refused) == "LIMIT_EXCEEDED" and refused["token"] is None
    assert await Workspace.all().count() == 2
    assert not await User.filter(email=fresh).exists()


async def test_the_shared_server_throttles_sign_ups_at_twenty_failures_an_hour(server):
    assert server.settings.limits.signup_failures_per_ip == 20
    assert server.settings.limits.signup_failure_window_seconds == 3600


async def test_a_process_that_loses_redis_goes_on_from_its_own_count_not_from_zero():
    # given a throttle counting in Redis, whose Redis stops answering after
    # six reservations (a timeout under load: the script may even have run)
    from redis.exceptions import TimeoutError as RedisTimeout

    from revgraph.resolvers.attempt_limits import AttemptThrottle, Counter
    from revgraph.resolvers.settings import Settings

    throttle = AttemptThrottle(Settings(database_url="sqlite://:memory:", secret_key="unused"))
    answered = []

    async def reserve_in_redis(keys, args):
        if len(answered) == 6:
            raise RedisTimeout("Timeout reading from socket")
        answered.append(keys)
        return 0

    async def release_in_redis(keys):
        return 0

    throttle._redis, throttle._reserve, throttle._release = object(), reserve_in_redis, release_in_redis
    counters = [Counter("login:someone", limit=10, window_seconds=900)]
    # when one success among the Redis-counted attempts is released, and attempts go on
    first = [await throttle.reserve(counters) for _ in range(6)]
    await first[0][0].release()
    later = [await throttle.reserve(counters) for _ in range(10)]
    # then memory went on from the five still counted: five more admitted, then refused
    assert [r.in_redis for r, _ in first] == [True] * 6
    admitted = [r for r, _ in later if r is not None]
    assert len(admitted) == 5 and not any(r.in_redis for r in admitted)
    assert all(r is None and wait > 0 for r, wait in later[5:])
