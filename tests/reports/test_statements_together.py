"""Statements sent at once (resolvers/reports/raw_rows.py `together`): the
results come back in the steps' order; a failing step's error comes out as
it is, with the other steps stopped; and statements that waited for the
same writes side by side count once in the time the computation was held
(the poll's pacing subtracts it), not once per statement."""

import asyncio

import pytest

from revgraph.resolvers.errors import NotFound
from revgraph.resolvers.events.writes import holding, writes_first, writes_in_flight
from revgraph.resolvers.reports.raw_rows import together


async def test_results_come_back_in_the_steps_order_whichever_ends_first():
    async def after(seconds, value):
        await asyncio.sleep(seconds)
        return value

    assert await together(after(0.03, "a"), after(0, "b"), after(0.01, "c")) == ["a", "b", "c"]


async def test_a_failing_step_raises_its_own_error_and_stops_the_others():
    stopped = asyncio.Event()

    async def slow():
        try:
            await asyncio.sleep(10)
        finally:
            stopped.set()

    async def failing():
        await asyncio.sleep(0)
        raise NotFound("Pipeline", ["pipelineId"])

    # when one step fails while another still runs (10 s more)
    with pytest.raises(NotFound):
        await asyncio.wait_for(together(slow(), failing()), timeout=2)
    # then the error is the step's own (no ExceptionGroup), and the other
    # step was stopped at once, not awaited
    assert stopped.is_set()


async def test_statements_held_back_by_the_same_write_count_once():
    writes = writes_in_flight()

    async def statement():
        await writes_first(hold=1.0)

    # given a write in flight for 0.1 s
    async def write():
        with writes.open():
            await asyncio.sleep(0.1)

    running = asyncio.ensure_future(write())
    await asyncio.sleep(0)
    # when three statements of a computation wait for it at once
    with holding() as held:
        await together(statement(), statement(), statement())
    await running
    # then the computation was held about 0.1 s, not 0.3 s
    assert 0.08 <= held.seconds < 0.2, held.seconds
