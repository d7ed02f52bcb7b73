"""A live subscription keeps no memory per event (bench/FAULTS.md: RSS of
the API processes grew for as long as boards stayed open). graphql-core 3.3
copies the subscription's executor for every event, and the copies shared
one memo of collected subfields that kept every event's field lists alive.
The schema's execution context gives each event's copy a memo of its own."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncGenerator

import strawberry

from revgraph.schema.board import SharedEventExecutionContext

EVENTS = 600


@strawberry.type
class Card:
    title: str
    tags: list[str]


@strawberry.type
class Query:
    ping: str = "pong"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def cards(self) -> AsyncGenerator[Card, None]:
        for index in range(EVENTS):
            yield Card(title=f"Apto {index}", tags=["2 quartos", "zona sul"])


async def test_an_open_subscription_does_not_grow_with_its_events():
    # given a subscription executed by the schema's execution context
    schema = strawberry.Schema(
        query=Query, subscription=Subscription, execution_context_class=SharedEventExecutionContext
    )
    stream = await schema.subscribe("subscription { cards { title tags } }")
    seen = 0
    tracemalloc.start()
    try:
        # when it delivers a few events, then many more while still open
        async for result in stream:
            assert result.errors is None
            seen += 1
            if seen == 100:
                before = tracemalloc.take_snapshot()
            if seen == EVENTS:
                after = tracemalloc.take_snapshot()
                break
    finally:
        tracemalloc.stop()
        await stream.aclose()

    # then what it holds did not grow with the 500 events in between (each
    # kept ~1 KB before the fix: ~500 KB)
    growth = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert growth < 100_000, f"{growth} bytes retained over {EVENTS - 100} events"
