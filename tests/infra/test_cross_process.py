"""Two API processes behind one load balancer share PostgreSQL and Redis: a
change made through one reaches a live subscriber of the other (real
services only; the embedded mode is one process by definition)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import REAL_REDIS
from tests.infra.revgraph_process import ServeProcess
from tests.live import connect, subscribe
from tests.pipeline.support import create_deal, create_pipeline
from tests.support import GraphQLClient, sign_up

pytestmark = pytest.mark.skipif(not REAL_REDIS, reason="needs REVGRAPH_TEST_REDIS_URL (real services)")

BOARD_EVENTS = """
subscription Board($pipelineId: ID!, $since: Int) {
  boardEvents(pipelineId: $pipelineId, since: $since) { sequence kind dealId deal { title } }
}
"""


async def test_a_deal_created_through_one_process_reaches_a_subscriber_of_the_other(server):
    # given two API processes on the test's database and Redis prefix
    first = ServeProcess().start()
    second = ServeProcess()
    try:
        assert (await first.wait_ready()).status_code == 200
        # one after the other: both migrate at start
        second.start()
        assert (await second.wait_ready()).status_code == 200
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
    finally:
        for process in (second, first):
            if process.process is not None:
                await process.stop()
