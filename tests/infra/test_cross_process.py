"""Two API processes behind one load balancer share PostgreSQL and Redis: a
change made through one reaches a live subscriber of the other (real
services only; the embedded mode is one process by definition)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import REAL_REDIS
from tests.infra.revgraph_process import ServeProcess
from tests.live import connect, subscribe
from tests.pipeline.support import create_deal, create_pipeline
from tests.support import GraphQLClient, sign_up

pytestmark = pytest.mark.skipif(not REAL_REDIS, reason="needs REVGRAPH_TEST_REDIS_URL (real services)")


@pytest.fixture(scope="module")
async def two_processes(server) -> AsyncIterator[tuple[ServeProcess, ServeProcess]]:
    """Two API processes on the test's database and Redis prefix, shared by
    this module's tests (each works in a workspace of its own; the tables are
    emptied between them as for the session's server): starting one costs
    seconds of CPU."""
    first, second = ServeProcess().start(), ServeProcess()
    try:
        assert (await first.wait_ready()).status_code == 200
        # one after the other: both migrate at start
        second.start()
        assert (await second.wait_ready()).status_code == 200
        yield first, second
    finally:
        for process in (second, first):
            if process.process is not None:
                await process.stop()


BOARD_EVENTS = """
subscription Board($pipelineId: ID!, $since: Int) {
  boardEvents(pipelineId: $pipelineId, since: $since) { sequence kind dealId deal { title } }
}
"""


async def test_a_deal_created_through_one_process_reaches_a_subscriber_of_the_other(two_processes):
    # given two API processes on the test's database and Redis prefix
    first, second = two_processes
    async with httpx.AsyncClient(timeout=30) as http:
        via_first = GraphQLClient(first, http)
        workspace = await sign_up(via_first)
        pipeline = await create_pipeline(via_first, workspace.token)
        # and a board subscriber connected to the second process
        async with connect(second.ws_url, workspace.token) as socket:
            events = await subscribe(socket, BOARD_EVENTS, {"pipelineId": pipeline["id"], "since": 0})
            # when deals are created through the first process
            one = await create_deal(via_first, workspace.token, pipeline["id"], title="Casa Pinheiros")
            created = (await events.next(timeout=10))["data"]["boardEvents"]
            assert (created["sequence"], created["kind"], created["dealId"]) == (1, "CREATED", one["id"])
            # (the first may have come from the log replay; the second, made
            # once the subscriber is live, can only arrive over Redis)
            two = await create_deal(via_first, workspace.token, pipeline["id"], title="Apto Moema")
            live = (await events.next(timeout=10))["data"]["boardEvents"]
            # then the subscriber of the other process receives them, in order
            assert (live["sequence"], live["kind"], live["dealId"]) == (2, "CREATED", two["id"])
            assert live["deal"]["title"] == "Apto Moema"


async def test_forty_simultaneous_distributions_on_two_processes_give_the_sequential_shares(two_processes):
    import asyncio
    from collections import Counter

    from tests.distribution.support import contact, create_queue, distribute

    first, second = two_processes
    async with httpx.AsyncClient(timeout=60) as http:
        via = [GraphQLClient(first, http), GraphQLClient(second, http)]
        workspace = await sign_up(via[0])
        # given a round-robin queue of 4 agents and 40 leads
        agents = []
        for index in range(4):
            created = await via[0].ok(
                "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }",
                {
                    "i": {
                        "name": f"Agente {index}",
                        "email": f"agente{index}-{workspace.email}",
                        "password": "correct horse battery",
                        "role": "AGENT",
                    }
                },
                token=workspace.token,
            )
            agents.append(created["createUser"]["user"]["id"])
        queue = await create_queue(via[0], workspace.token, [{"userId": a} for a in agents])
        leads = [await contact(via[0], workspace.token) for _ in range(40)]
        # when 40 distributions arrive at once, alternating between the processes
        results = await asyncio.gather(
            *(
                distribute(via[i % 2], workspace.token, queue["id"], contact_id=lead)
                for i, lead in enumerate(leads)
            )
        )
        # then the shares are exactly those of 40 sequential calls, and no lead went twice
        assert all(r["userErrors"] == [] for r in results)
        assert sorted(Counter(r["assignment"]["user"]["id"] for r in results).values()) == [
            10,
            10,
            10,
            10,
        ]
        assert len({r["assignment"]["contact"]["id"] for r in results}) == 40
