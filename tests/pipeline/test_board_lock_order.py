"""A board's writers take its sequence in the order they asked for it
(resolvers/pipelines.py `reserve_board_sequences`).

Every board write of a pipeline (a move, a new card, trash) takes the
pipeline's sequence first and holds it to the commit. On PostgreSQL the
waiters for a row that another transaction updated are not served in
order: the holder's commit wakes every waiter on it at once, and one that
arrived after the row's newest version was written waits on that version,
not behind the earlier waiters. With 20 clients moving cards on one board a
move could wait out many later ones. The sequence is therefore taken under
a transaction-scoped advisory lock, whose queue is first come, first
served. SQLite runs one writer at a time (no such queue).

Before that, in each process, a board's writer (a move, a new card, an
edit, trash and back) waits for its board's turn (`board_turn`, an
asyncio.Lock), with no transaction begun, and hands the turn on once it
holds the database's lock: writers queued on one board no longer hold the
pool's connections, nor snapshots in the database."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from revgraph.resolvers.events import unit_of_work
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.pipelines import (
    BOARD_LOCK,
    board_turn,
    next_board_sequence,
    reserve_board_sequences,
)
from tests.pipeline.support import create_deal, create_pipeline, move

UPDATE = "mutation($id: ID!, $input: DealUpdateInput!) { updateDeal(id: $id, input: $input) { userErrors { code } } }"
DELETE = "mutation($id: ID!) { deleteDeal(id: $id) { userErrors { code } } }"
RESTORE = "mutation($id: ID!) { restoreDeal(id: $id) { userErrors { code } } }"
CREATE = "mutation($input: DealInput!) { createDeal(input: $input) { userErrors { code } } }"


async def _waiting() -> list[tuple[str, int | None]]:
    """The lock requests of this database not granted: (kind, objid)."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT l.locktype, l.classid, l.objid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE d.datname = current_database() AND NOT l.granted"
    )
    return [(row["locktype"], row["classid"], row["objid"]) for row in rows]


async def _until(count: int) -> list[tuple[str, int | None]]:
    for _ in range(500):
        waiting = await _waiting()
        if len(waiting) >= count:
            return waiting
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} board writers never waited: {await _waiting()}")


async def test_board_writers_take_the_sequence_in_the_order_they_asked(gql, workspace):
    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip("SQLite runs one writer at a time")
    pipeline = await create_pipeline(gql, workspace.token, [{"name": "Novo"}, {"name": "Contato"}])
    pipeline_id = pk_of(pipeline["id"], "Pipeline")
    got: dict[str, int] = {}
    names = ("holder", "first", "second", "third")
    took = {name: asyncio.Event() for name in names}
    release = {name: asyncio.Event() for name in names}

    async def writer(name: str) -> None:
        async with in_transaction():
            got[name] = await next_board_sequence(pipeline_id)
            took[name].set()
            await release[name].wait()

    tasks: list[asyncio.Task] = []
    try:
        # given a writer holding the board's sequence, and two more waiting for it
        tasks.append(asyncio.create_task(writer("holder")))
        await asyncio.wait_for(took["holder"].wait(), 10)
        tasks.append(asyncio.create_task(writer("first")))
        await _until(1)
        tasks.append(asyncio.create_task(writer("second")))
        waiting = await _until(2)
        # (they wait in the lock manager's queue for the pipeline's advisory lock)
        assert waiting == [("advisory", BOARD_LOCK, pipeline_id)] * 2
        # when the holder commits, the first waiter takes the sequence and
        # holds it, and a third writer asks after the pipeline's row moved on
        release["holder"].set()
        await asyncio.wait_for(took["first"].wait(), 10)
        tasks.append(asyncio.create_task(writer("third")))
        await _until(2)
        for name in ("first", "second", "third"):
            release[name].set()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
    finally:
        for event in release.values():
            event.set()
        await asyncio.wait(tasks, timeout=10)
    # then each had the sequence in the order it asked
    start = got["holder"]
    assert got == {"holder": start, "first": start + 1, "second": start + 2, "third": start + 3}


async def test_a_move_waits_for_its_boards_turn_in_process_and_hands_it_on_once_it_has_the_lock(
    gql, workspace
):
    # given a board, a deal on it, and a writer holding the board's turn here
    token = workspace.token
    pipeline = await create_pipeline(gql, token, [{"name": "Novo"}, {"name": "Contato"}])
    pipeline_id = pk_of(pipeline["id"], "Pipeline")
    deal = await create_deal(gql, token, pipeline["id"], stageId=pipeline["stage"]["Novo"])
    postgres = connections.get("default").capabilities.dialect == "postgres"
    async with board_turn(pipeline_id):
        # when a move of that board is asked for
        moving = asyncio.create_task(
            move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Contato"])
        )
        await asyncio.sleep(0.3)
        # then it waits in this process, with no transaction begun (no
        # pooled connection held, no lock waited for in the database)
        assert not moving.done()
        if postgres:
            open_transactions = await connections.get("default").execute_query_dict(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'"
            )
            assert open_transactions == [] and await _waiting() == []
    # and it moves once the turn is handed on
    moved = await asyncio.wait_for(moving, 10)
    assert moved["userErrors"] == []

    # and a writer holding the board's lock in the database has handed the
    # turn on: the next one passes it and waits for the lock itself
    took, release, passed = asyncio.Event(), asyncio.Event(), asyncio.Event()
    got: list[int] = []

    async def holder() -> None:
        async with board_turn(pipeline_id), unit_of_work():
            got.append(await next_board_sequence(pipeline_id))
            took.set()
            await release.wait()

    async def next_writer() -> None:
        async with board_turn(pipeline_id):
            passed.set()
            async with unit_of_work():
                got.append(await next_board_sequence(pipeline_id))

    first = asyncio.create_task(holder())
    try:
        await asyncio.wait_for(took.wait(), 10)
        second = asyncio.create_task(next_writer())
        await asyncio.wait_for(passed.wait(), 10)
        if postgres:
            assert await _until(1) == [("advisory", BOARD_LOCK, pipeline_id)]
        assert len(got) == 1
    finally:
        release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 10)
    assert got == [got[0], got[0] + 1]


async def test_inside_a_unit_of_work_the_boards_turn_is_not_waited_for(gql, workspace):
    # (its transaction may hold locks that the turn's holder waits for)
    pipeline = await create_pipeline(gql, workspace.token, [{"name": "Novo"}])
    pipeline_id = pk_of(pipeline["id"], "Pipeline")
    async with board_turn(pipeline_id), unit_of_work():
        async with asyncio.timeout(2), board_turn(pipeline_id):
            pass


async def _no_transaction_waits() -> None:
    """Nothing of this database is idle in a transaction, nor waits for a lock."""
    if connections.get("default").capabilities.dialect != "postgres":
        return
    open_transactions = await connections.get("default").execute_query_dict(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND state LIKE 'idle in transaction%'"
    )
    assert open_transactions == [] and await _waiting() == []


@pytest.mark.parametrize("write", ["create", "update", "delete", "restore"])
async def test_every_board_writer_waits_for_its_boards_turn_before_its_transaction(gql, workspace, write):
    # given a board with a deal (trashed, for a restore), and a writer
    # holding the board's turn here
    token = workspace.token
    pipeline = await create_pipeline(gql, token, [{"name": "Novo"}, {"name": "Contato"}])
    pipeline_id = pk_of(pipeline["id"], "Pipeline")
    deal = await create_deal(gql, token, pipeline["id"], stageId=pipeline["stage"]["Novo"])
    if write == "restore":
        await gql.ok(DELETE, {"id": deal["id"]}, token=token)
    query, variables, payload = {
        "create": (CREATE, {"input": {"title": "Casa", "pipelineId": pipeline["id"]}}, "createDeal"),
        "update": (UPDATE, {"id": deal["id"], "input": {"title": "Casa"}}, "updateDeal"),
        "delete": (DELETE, {"id": deal["id"]}, "deleteDeal"),
        "restore": (RESTORE, {"id": deal["id"]}, "restoreDeal"),
    }[write]
    async with board_turn(pipeline_id):
        # when the write is asked for
        writing = asyncio.create_task(gql.ok(query, variables, token=token))
        await asyncio.sleep(0.3)
        # then it waits in this process, with no transaction begun
        assert not writing.done()
        await _no_transaction_waits()
    # and it is written once the turn is handed on
    written = await asyncio.wait_for(writing, 10)
    assert written[payload]["userErrors"] == []


async def test_a_writer_of_several_boards_waits_for_each_turn_and_hands_each_on_with_its_lock(gql, workspace):
    # given two boards, and a writer holding the second one's turn
    token = workspace.token
    first, second = [
        pk_of((await create_pipeline(gql, token, [{"name": "Novo"}], name=name))["id"], "Pipeline")
        for name in ("Vendas", "Locação")
    ]
    took, release = asyncio.Event(), asyncio.Event()

    async def writer_of_both() -> None:
        async with board_turn(second, first), unit_of_work():
            await reserve_board_sequences(first, 1)
            took.set()
            await release.wait()
            await reserve_board_sequences(second, 1)

    async with board_turn(second):
        # when a writer of both boards asks for their turns
        both = asyncio.create_task(writer_of_both())
        await asyncio.sleep(0.3)
        # then it has taken the first board's turn (in id order) and waits
        # for the second's, with no transaction begun
        assert not took.is_set()
        await _no_transaction_waits()
        waits_for_first = asyncio.create_task(_enter_and_leave(first))
        await asyncio.sleep(0.1)
        assert not waits_for_first.done()
    try:
        # and once it has the second's turn and the first board's lock, it
        # has handed the first board's turn on, and still holds the second's
        await asyncio.wait_for(took.wait(), 10)
        await asyncio.wait_for(waits_for_first, 10)
        waits_for_second = asyncio.create_task(_enter_and_leave(second))
        await asyncio.sleep(0.1)
        assert not waits_for_second.done()
    finally:
        release.set()
    await asyncio.wait_for(both, 10)
    await asyncio.wait_for(waits_for_second, 10)


async def _enter_and_leave(pipeline_id: int) -> None:
    async with board_turn(pipeline_id):
        pass
