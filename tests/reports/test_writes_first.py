"""Writes first (resolvers/events/writes.py, resolvers/poll_cache.py
ComputationTurns): a report computation does not start while a write is in
flight in the process (a unit of work, a mutation from its first read), it
starts when the writes end, and writes one after the other hold it back
`max_hold` seconds at most."""

import asyncio

from revgraph.resolvers.events import unit_of_work
from revgraph.resolvers.events.writes import writes_in_flight
from revgraph.resolvers.inbox import conversations as conversation_use_cases
from revgraph.resolvers.poll_cache import ComputationTurns
from tests.inbox.test_report import around_now, resolve
from tests.reports.test_computation_turns import HeldReports, until
from tests.reports.test_poll_cache import conversations, figures, graphql_view, settled


async def test_a_computation_does_not_start_while_a_write_is_in_flight_and_starts_when_it_ends():
    # given a free turn and a write in flight
    turns = ComputationTurns(1)
    writes = writes_in_flight()
    with writes.open():
        # when a poll asks for a turn
        turn = turns.ask()
        await asyncio.sleep(0.05)
        # then it does not have it while the write runs
        assert not turn.done()
        assert (turns.running, turns.waiting) == (1, 1)
    # and has it as soon as the write ends
    await asyncio.wait_for(turn, timeout=0.1)
    turns.end(turn)
    assert (turns.running, turns.waiting) == (0, 0)
    # and with no write in flight, a free turn is had at once
    assert turns.ask().done()


async def test_a_turn_passed_on_while_a_write_is_in_flight_waits_for_the_write():
    # given one turn, taken, and a poll waiting for it
    turns = ComputationTurns(1)
    taken, waiting = turns.ask(), turns.ask()
    writes = writes_in_flight()
    with writes.open():
        # when the computation ends while a write is in flight
        turns.end(taken)
        await asyncio.sleep(0.05)
        # then the next in line waits for the write
        assert not waiting.done()
    await asyncio.wait_for(waiting, timeout=0.1)
    turns.end(waiting)
    assert turns.running == 0


async def test_a_poll_that_leaves_while_held_by_a_write_passes_the_turn_on():
    # given one free turn, a write in flight, and two polls held by it
    turns = ComputationTurns(1)
    writes = writes_in_flight()
    with writes.open():
        first, second = turns.ask(), turns.ask()
        # when the first leaves (answered meanwhile) before the write ends
        turns.end(first)
    # then the second gets the turn when the write ends
    await asyncio.wait_for(second, timeout=0.1)
    turns.end(second)
    assert (turns.running, turns.waiting) == (0, 0)


async def test_writes_one_after_the_other_hold_a_computation_back_no_longer_than_the_bound():
    # given turns held by writes at most 0.1 s, and writes in flight without a pause
    turns = ComputationTurns(1, max_hold=0.1)
    loop = asyncio.get_running_loop()
    with writes_in_flight().open():
        # when a poll asks for a turn
        asked = loop.time()
        turn = turns.ask()
        # then it has it after the bound, though the writes go on
        await asyncio.wait_for(turn, timeout=2)
        assert 0.09 <= loop.time() - asked < 0.5
        assert turns.held == 1
        # and the next, after that computation, is held the bound again, no more
        following = turns.ask()
        turns.end(turn)
        await asyncio.wait_for(following, timeout=2)
        turns.end(following)
    assert turns.running == 0


async def test_a_unit_of_work_in_flight_holds_a_computation_until_it_commits(workspace):
    # given a unit of work open (a write in its transaction, not yet committed)
    turns = ComputationTurns(2)
    gate = asyncio.Event()
    entered = asyncio.Event()

    async def write():
        async with unit_of_work():
            entered.set()
            await gate.wait()

    writing = asyncio.create_task(write())
    await entered.wait()
    try:
        # when a poll asks for a turn
        turn = turns.ask()
        await asyncio.sleep(0.05)
        # then it waits for the commit, and has its turn after it
        assert not turn.done()
    finally:
        gate.set()
        await writing
    await asyncio.wait_for(turn, timeout=1)
    turns.end(turn)
    assert writes_in_flight().count == 0


async def test_a_mutation_holds_a_dashboards_computation_from_its_first_read(gql, workspace, monkeypatch):
    # given a conversation to resolve, and a resolution that takes as long as
    # the test says before it reads anything (its transaction not begun)
    token = workspace.token
    _, (conversation_id,) = await conversations(gql, token, 1)
    await settled()
    turns = graphql_view(gql.server).poll_cache.turns
    reports = HeldReports(monkeypatch, held=set())
    gate = asyncio.Event()
    resolving = conversation_use_cases.resolve_conversation
    started = asyncio.Event()

    async def slow(*args, **kwargs):
        started.set()
        await gate.wait()
        return await resolving(*args, **kwargs)

    monkeypatch.setattr(conversation_use_cases, "resolve_conversation", slow)
    mutation = asyncio.create_task(resolve(gql, token, conversation_id))
    await started.wait()
    try:
        # when a dashboard polls meanwhile (its answer not kept: a first answer)
        poll = asyncio.create_task(figures(gql, token, around_now(1)))
        await until(lambda: turns.waiting == 1 or poll.done(), timeout=5)
        await asyncio.sleep(0.05)
        # then its computation waits for the mutation
        assert reports.computed == {} and not poll.done()
    finally:
        # and runs once the mutation is over, counting the resolution
        gate.set()
        await mutation
    assert await asyncio.wait_for(poll, timeout=10) == {"conversations": 1, "resolved": 1}
    assert reports.computed == {1: 1}
