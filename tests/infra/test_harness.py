"""The test harness itself (tests/conftest.py, tests/support.py): what it
shares between tests to keep the run short."""

from __future__ import annotations

import asyncio
import re
import ssl

import pytest

from tests.support import tls_context


async def test_the_gql_clients_share_one_tls_context(gql):
    # httpx builds a TLS context (the CA bundle loaded, ~20 ms of CPU) for
    # every client it makes; `gql`, one client per test, takes the run's
    # shared context instead
    context = gql.http._transport._pool._ssl_context
    assert isinstance(context, ssl.SSLContext)
    assert context is tls_context()
    # and it is the context httpx would build: certificates are verified
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


async def test_the_throttle_is_reset_between_tests_in_few_redis_round_trips(server, gql):
    from revgraph.web.graphql_view import RevGraphView
    from tests.conftest import REAL_REDIS, reset_throttle
    from tests.support import LOG_IN

    view = next(r.app for r in server.app.routes if isinstance(getattr(r, "app", None), RevGraphView))
    throttle = view.throttle
    # given failed log-ins counted by the throttle (in memory, and in Redis when configured)
    for _ in range(2):
        data = await gql.ok(LOG_IN, {"input": {"email": "ninguem@example.com", "password": "errada demais"}})
        assert data["logIn"]["userErrors"], data
    assert throttle._memory
    scans = []
    if REAL_REDIS:
        redis = throttle._redis
        assert [key async for key in redis.scan_iter(match=f"{throttle.prefix}:*", count=1000)]
        # and a Redis database holding many other keys (the run's rate-limit windows)
        filler = f"{throttle.prefix}-filler"
        await redis.mset({f"{filler}:{n}": 1 for n in range(3000)})
        total = await redis.dbsize()
        scan = redis.scan

        async def counted_scan(*args, **kwargs):
            scans.append(kwargs.get("count"))
            return await scan(*args, **kwargs)

        redis.scan = counted_scan
    try:
        # when the harness resets it between tests
        await reset_throttle(throttle)
    finally:
        if REAL_REDIS:
            del redis.scan
            await redis.delete(*[f"{filler}:{n}" for n in range(3000)])
    # then nothing is counted any more, in memory or in Redis
    assert throttle._memory == {}
    if REAL_REDIS:
        assert not [key async for key in redis.scan_iter(match=f"{throttle.prefix}:*", count=1000)]
        # and the keys were walked 1,000 at a time, not Redis' default 10
        assert len(scans) <= total // 1000 + 2, (len(scans), total)
    # and a wrong password is again answered as a first failure, not a lock-out
    data = await gql.ok(LOG_IN, {"input": {"email": "ninguem@example.com", "password": "errada demais"}})
    assert data["logIn"]["userErrors"][0]["code"] == "INVALID", data


async def test_worker_idle_reads_every_queue_at_once_through_one_client(server):
    from tests.conftest import REAL_REDIS, _idle_client, worker_idle

    if not REAL_REDIS:
        pytest.skip("the Redis task queues exist only with REVGRAPH_TEST_REDIS_URL")
    from revgraph.tasks.broker import broker

    # given the session's worker with nothing to do
    await worker_idle()
    client = _idle_client()
    # when a message is held in one queue (a field of its `.msgs` hash, as an unacked message)
    queue = sorted(broker.get_declared_queues())[-1]
    held = f"{server.settings.redis_prefix}-tasks:{queue}.msgs"
    await client.hset(held, "harness-probe", "{}")
    try:
        # then worker_idle waits for it
        try:
            await worker_idle(timeout=0.2)
        except TimeoutError as error:
            # (the probe, and any message the session's worker picked up meanwhile:
            # a delayed message of an earlier test can fall due at any moment)
            pending = re.fullmatch(r"(\d+) task message\(s\) still pending", str(error))
            assert pending and int(pending[1]) >= 1, str(error)
        else:
            raise AssertionError("worker_idle returned with a message pending")
    finally:
        await client.hdel(held, "harness-probe")
    # and returns once it is gone, through the same client as before
    await asyncio.wait_for(worker_idle(), timeout=10)
    assert _idle_client() is client


def test_tests_on_settings_of_their_own_run_once_in_the_embedded_run(monkeypatch):
    from tests import conftest, test_cli, test_schema_file
    from tests.infra import test_gc_tuning

    # the modules whose processes get settings of their own are marked
    for module in (test_cli, test_schema_file, test_gc_tuning):
        assert module.pytestmark.name == "embedded_run_only", module

    class Item:
        def __init__(self, marked: bool) -> None:
            self.marked, self.added = marked, []

        def get_closest_marker(self, name):
            return pytest.mark.embedded_run_only if self.marked and name == "embedded_run_only" else None

        def add_marker(self, marker):
            self.added.append(marker)

    # a real-services run skips them, and only them, saying why
    monkeypatch.setattr(conftest, "REAL_DB", "postgres://example")
    marked, other = Item(True), Item(False)
    conftest.skip_repeats([marked, other])
    assert [m.name for m in marked.added] == ["skip"] and other.added == []
    assert "same test in both runs" in marked.added[0].kwargs["reason"]
    # and the embedded run runs them
    monkeypatch.setattr(conftest, "REAL_DB", None)
    monkeypatch.setattr(conftest, "REAL_REDIS", None)
    embedded = Item(True)
    conftest.skip_repeats([embedded])
    assert embedded.added == []


async def test_what_shares_data_tests_keep_is_forgotten_with_the_tables(server, kept_data):
    # given something a `shares_data` group built and kept (ids of rows in the tables)
    from tests.conftest import _empty_tables

    kept_data["hierarchy"] = {"contact": "Q29udGFjdDox"}
    # when the tables are emptied
    await _empty_tables()
    # then it is forgotten with them: the next group builds again
    assert kept_data == {}
