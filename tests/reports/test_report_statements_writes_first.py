"""A report computation gives way to the writes between its statements
(resolvers/database.py `report_reads`, resolvers/events/writes.py
`writes_first`), not only before it starts: each statement through the
report connection waits while a write is in flight in the process, at most
STATEMENT_HOLD_SECONDS; the pacing of the turns (resolvers/poll_cache.py
ComputationTurns) does not count that wait as computing. And the report
connection's sessions on PostgreSQL plan no parallel workers, so that a
report statement takes one of the database's cores, not all of them."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections

from revgraph.resolvers import database
from revgraph.resolvers.events import writes as writes_module
from revgraph.resolvers.events.writes import holding, writes_in_flight
from revgraph.resolvers.poll_cache import ComputationTurns
from tests.conftest import REAL_DB


async def report_statement(sql: str = "SELECT 1") -> list:
    """A statement as a report computation runs it."""
    with database.report_reads():
        _, rows = await connections.get("default").execute_query(sql)
    return list(rows)


async def test_a_report_statement_waits_for_the_write_in_flight_and_runs_when_it_ends(workspace, monkeypatch):
    # given statements held by writes for as long as 10 s, and a write in flight
    monkeypatch.setattr(writes_module, "STATEMENT_HOLD_SECONDS", 10.0)
    await report_statement()  # the connection opened
    writes = writes_in_flight()
    with holding() as held:
        with writes.open():
            # when a report computation runs a statement
            statement = asyncio.create_task(report_statement())
            await asyncio.sleep(0.2)
            # then it waits while the write runs
            assert not statement.done()
        # and runs as soon as the write ends
        assert len(await asyncio.wait_for(statement, timeout=5)) == 1
    # and the computation knows how long it was held
    assert held.seconds >= 0.19
    # and with no write in flight it does not wait at all
    with holding() as held:
        await report_statement()
    assert held.seconds == 0


async def test_writes_one_after_the_other_hold_a_report_statement_no_longer_than_the_bound(
    workspace, monkeypatch
):
    # given statements held at most 0.1 s, and writes in flight without a pause
    monkeypatch.setattr(writes_module, "STATEMENT_HOLD_SECONDS", 0.1)
    await report_statement()
    loop = asyncio.get_running_loop()
    with writes_in_flight().open():
        # when a report computation runs a statement
        began = loop.time()
        rows = await asyncio.wait_for(report_statement(), timeout=5)
        # then it runs after the bound, though the writes go on
        assert len(rows) == 1
        assert 0.09 <= loop.time() - began
    assert writes_in_flight().count == 0


async def test_a_request_s_own_statements_never_wait_for_the_writes(workspace, monkeypatch):
    # given statements held by writes for as long as 10 s, and a write in flight
    monkeypatch.setattr(writes_module, "STATEMENT_HOLD_SECONDS", 10.0)
    with writes_in_flight().open():
        # when a request (not a report computation) runs a statement, it runs at once
        _, rows = await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"), timeout=2)
    assert len(list(rows)) == 1


async def test_a_turn_does_not_rest_for_the_time_its_statements_were_held_by_writes():
    # given turns busy at most half of the time, one taken and one waiting
    turns = ComputationTurns(1, busy_percent=50)
    loop = asyncio.get_running_loop()
    taken = turns.ask()
    waiting = turns.ask()
    # when the first ends 0.3 s later, all of which its statements waited for writes
    await asyncio.sleep(0.3)
    ended = loop.time()
    turns.end(taken, held=0.3)
    # then the next gets its turn at once, not 0.3 s later
    await asyncio.wait_for(waiting, timeout=5)
    assert loop.time() - ended < 0.1
    turns.end(waiting)


@pytest.mark.skipif(not REAL_DB, reason="PostgreSQL: the report pool's sessions")
async def test_a_postgresql_report_session_plans_no_parallel_workers(workspace):
    # when a report computation asks its session's setting
    rows = await report_statement("SHOW max_parallel_workers_per_gather")
    # then it is 0, and a request's session keeps the server's own
    assert dict(rows[0])["max_parallel_workers_per_gather"] == "0"
    _, own = await connections.get("default").execute_query("SHOW max_parallel_workers_per_gather")
    assert dict(next(iter(own)))["max_parallel_workers_per_gather"] != "0"
