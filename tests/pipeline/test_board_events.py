import asyncio
import json

from revgraph.models.pipeline import Pipeline
from revgraph.resolvers.ids import pk_of
from tests.live import connect, subscribe
from tests.pipeline.support import UPDATE_DEAL, board, create_deal, create_pipeline, move, settled

BOARD_EVENTS = """
subscription Board($pipelineId: ID!, $since: Int) {
  boardEvents(pipelineId: $pipelineId, since: $since) {
    sequence kind dealId fromStageId toStageId afterDealId at
    actor { id }
    deal { id title version stage { name } owner { id } }
  }
}
"""

DELETE_DEAL = "mutation($id: ID!) { deleteDeal(id: $id) { deletedId userErrors { code } } }"


async def test_live_move_reaches_subscriber_in_order(gql, server, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    since = (await board(gql, workspace.token, pipeline["id"]))["boardSequence"]
    async with connect(server.ws_url, workspace.token) as socket:
        events = await subscribe(socket, BOARD_EVENTS, {"pipelineId": pipeline["id"], "since": since})
        await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
        moved = (await events.next())["data"]["boardEvents"]
        assert moved["sequence"] == since + 1
        assert moved["kind"] == "MOVED"
        assert (moved["dealId"], moved["fromStageId"], moved["toStageId"]) == (
            deal["id"],
            pipeline["stage"]["Novo lead"],
            pipeline["stage"]["Em contato"],
        )
        assert moved["deal"]["stage"]["name"] == "Em contato" and moved["deal"]["version"] == 2
        assert moved["actor"]["id"] == workspace.admin["id"]
        await gql.ok(UPDATE_DEAL, {"id": deal["id"], "input": {"title": "Casa"}}, token=workspace.token)
        updated = (await events.next())["data"]["boardEvents"]
        assert (updated["sequence"], updated["kind"], updated["deal"]["title"]) == (
            since + 2,
            "UPDATED",
            "Casa",
        )
        await gql.ok(DELETE_DEAL, {"id": deal["id"]}, token=workspace.token)
        removed = (await events.next())["data"]["boardEvents"]
        assert (removed["sequence"], removed["kind"], removed["deal"]) == (since + 3, "REMOVED", None)


async def test_since_replays_history_then_goes_live_without_duplicates(gql, server, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
    async with connect(server.ws_url, workspace.token) as socket:
        events = await subscribe(socket, BOARD_EVENTS, {"pipelineId": pipeline["id"], "since": 0})
        replayed = [(await events.next())["data"]["boardEvents"] for _ in range(2)]
        assert [(e["sequence"], e["kind"]) for e in replayed] == [(1, "CREATED"), (2, "MOVED")]
        await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Novo lead"])
        live = (await events.next())["data"]["boardEvents"]
        assert (live["sequence"], live["kind"]) == (3, "MOVED")
        await events.nothing_for(0.3)


async def test_reconnect_with_since_receives_what_was_missed(gql, server, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    async with connect(server.ws_url, workspace.token) as socket:
        events = await subscribe(socket, BOARD_EVENTS, {"pipelineId": pipeline["id"], "since": 1})
        await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
        last_seen = (await events.next())["data"]["boardEvents"]["sequence"]
    # while disconnected, two more moves happen
    await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Novo lead"])
    await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
    async with connect(server.ws_url, workspace.token) as socket:
        events = await subscribe(socket, BOARD_EVENTS, {"pipelineId": pipeline["id"], "since": last_seen})
        missed = [(await events.next())["data"]["boardEvents"]["sequence"] for _ in range(2)]
        assert missed == [last_seen + 1, last_seen + 2]


async def test_subscriber_only_sees_deals_it_may_see(gql, server, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    agent = await workspace.user("AGENT")
    other = await workspace.user("AGENT")
    mine = await create_deal(gql, agent["token"], pipeline["id"], title="mine")
    theirs = await create_deal(gql, other["token"], pipeline["id"], title="theirs")
    since = (await board(gql, workspace.token, pipeline["id"]))["boardSequence"]
    async with connect(server.ws_url, agent["token"]) as socket:
        events = await subscribe(socket, BOARD_EVENTS, {"pipelineId": pipeline["id"], "since": since})
        await move(gql, other["token"], dealId=theirs["id"], stageId=pipeline["stage"]["Em contato"])
        await move(gql, agent["token"], dealId=mine["id"], stageId=pipeline["stage"]["Em contato"])
        received = (await events.next())["data"]["boardEvents"]
        # the other agent's move was skipped: the first event is our own
        assert received["dealId"] == mine["id"] and received["sequence"] == since + 2
        # handing our deal to the other agent: we still get the event, without the deal
        await gql.ok(
            UPDATE_DEAL, {"id": mine["id"], "input": {"ownerId": other["id"]}}, token=workspace.token
        )
        handed = (await events.next())["data"]["boardEvents"]
        assert (handed["kind"], handed["dealId"], handed["deal"]) == ("UPDATED", mine["id"], None)


async def test_pipeline_of_another_workspace_is_not_found(gql, server, workspace, other_workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    async with connect(server.ws_url, other_workspace.token) as socket:
        events = await subscribe(socket, BOARD_EVENTS, {"pipelineId": pipeline["id"], "since": 0})
        import asyncio
        import json

        message = json.loads(await asyncio.wait_for(socket.recv(), 5))
        # an execution error of the stream: a `next` carrying the error, then `complete`
        assert message["type"] == "next" and message["id"] == events.id
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert message["payload"]["errors"][0]["message"] == "Funil: registro não encontrado."
        done = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert done == {"type": "complete", "id": events.id}


async def test_one_execution_per_scope_and_query_is_shared_by_subscribers(
    gql, server, workspace, monkeypatch
):
    import contextlib

    from revgraph.schema import board as board_schema

    executions = []
    original = board_schema.LeanExecutionContext.execute_operation

    def counting(self, serially=None):
        if getattr(self.root_value, "shared_results", None) is not None:
            executions.append(self.root_value.sequence)
        return original(self, serially)

    monkeypatch.setattr(board_schema.LeanExecutionContext, "execute_operation", counting)
    pipeline = await create_pipeline(gql, workspace.token)
    agent = await workspace.user("AGENT")
    deal = await create_deal(gql, agent["token"], pipeline["id"])
    since = (await board(gql, workspace.token, pipeline["id"]))["boardSequence"]
    async with contextlib.AsyncExitStack() as stack:
        subscriptions = []
        # `since` differs between the admins (and is absent for one): it
        # does not change what an event renders to, so they still share.
        for token, start in ((workspace.token, since), (workspace.token, None), (workspace.token, since)):
            socket = await stack.enter_async_context(connect(server.ws_url, token))
            variables = {"pipelineId": pipeline["id"]} | ({"since": start} if start is not None else {})
            subscriptions.append(await subscribe(socket, BOARD_EVENTS, variables))
        socket = await stack.enter_async_context(connect(server.ws_url, agent["token"]))
        subscriptions.append(await subscribe(socket, BOARD_EVENTS, {"pipelineId": pipeline["id"]}))
        await settled(pipeline["id"], subscribers=4)
        await move(gql, agent["token"], dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
        payloads = [await s.next() for s in subscriptions]
    # every subscriber got the same data; admins shared one execution, the agent had its own
    assert all(p["data"] == payloads[0]["data"] for p in payloads)
    assert executions == [since + 1, since + 1]


SELECTIVE = """
subscription Board($pipelineId: ID!, $withDeal: Boolean!) {
  boardEvents(pipelineId: $pipelineId) { sequence deal @include(if: $withDeal) { title } }
}
"""


async def test_variables_of_the_selection_set_keep_subscribers_apart(gql, server, workspace):
    import contextlib

    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"], title="Sobrado")
    async with contextlib.AsyncExitStack() as stack:
        subscriptions = []
        for with_deal in (True, False, True):
            socket = await stack.enter_async_context(connect(server.ws_url, workspace.token))
            variables = {"pipelineId": pipeline["id"], "withDeal": with_deal}
            subscriptions.append(await subscribe(socket, SELECTIVE, variables))
        await settled(pipeline["id"], subscribers=3)
        await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
        payloads = [(await s.next())["data"]["boardEvents"] for s in subscriptions]
    assert payloads[0] == payloads[2] == {"sequence": payloads[0]["sequence"], "deal": {"title": "Sobrado"}}
    assert payloads[1] == {"sequence": payloads[0]["sequence"]}


async def test_a_socket_that_falls_behind_catches_up_from_the_log(gql, server, workspace, monkeypatch):
    """Frames a slow socket cannot take are queued up to a bound; past it the
    subscriber reads the rest from the log once its socket has drained, and
    still gets every event once, in order. The other subscriber is not held."""
    import contextlib

    from revgraph.resolvers import board_hub
    from revgraph.web.graphql_view import OperationSink

    monkeypatch.setattr(board_hub, "MAX_BACKLOG", 1)
    original = OperationSink.send

    async def slow_send(self, payload):
        if self.operation.id == "slow":
            await asyncio.sleep(1.0)  # longer than a move takes on a loaded machine
        await original(self, payload)

    monkeypatch.setattr(OperationSink, "send", slow_send)
    from revgraph.web.ws_frames import FrameWriter

    original_write = FrameWriter.write
    # the slow socket never takes a frame at once (as when its transport is paused)
    monkeypatch.setattr(
        FrameWriter,
        "write",
        lambda self, data: b'"id":"slow"' not in self.head and original_write(self, data),
    )
    from revgraph.resolvers import board as board_resolvers

    replayed_after: list[int] = []
    original_replay = board_resolvers._replay

    def spying_replay(pipeline_id, after, until=None):
        replayed_after.append(after)
        return original_replay(pipeline_id, after, until)

    monkeypatch.setattr(board_resolvers, "_replay", spying_replay)
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    since = (await board(gql, workspace.token, pipeline["id"]))["boardSequence"]
    async with contextlib.AsyncExitStack() as stack:
        fast_socket = await stack.enter_async_context(connect(server.ws_url, workspace.token))
        fast = await subscribe(fast_socket, BOARD_EVENTS, {"pipelineId": pipeline["id"], "since": since})
        slow_socket = await stack.enter_async_context(connect(server.ws_url, workspace.token))
        variables = {"pipelineId": pipeline["id"], "since": since}
        slow = await subscribe(slow_socket, BOARD_EVENTS, variables, sub_id="slow")
        await settled(pipeline["id"], subscribers=2)
        stages = [pipeline["stage"]["Em contato"], pipeline["stage"]["Novo lead"]] * 3
        for stage in stages:
            await move(gql, workspace.token, dealId=deal["id"], stageId=stage)
        expected = list(range(since + 1, since + 1 + len(stages)))
        fast_seen = [(await fast.next(timeout=2))["data"]["boardEvents"]["sequence"] for _ in expected]
        slow_seen = [(await slow.next(timeout=10))["data"]["boardEvents"]["sequence"] for _ in expected]
        assert fast_seen == expected
        assert slow_seen == expected
        # the slow one was cut off after two queued frames and read on from the log
        assert any(after > since for after in replayed_after), replayed_after
        await slow.nothing_for(0.5)
        # it joined the hub again and is fed live
        await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
        assert (await slow.next(timeout=5))["data"]["boardEvents"]["sequence"] == expected[-1] + 1


async def test_an_anchor_the_subscriber_may_not_see_becomes_the_nearest_card_above_it_they_can(
    gql, server, workspace
):
    # given a column holding, top to bottom, agent A's card and agent B's card
    pipeline = await create_pipeline(gql, workspace.token)
    agent_a, agent_b = await workspace.user("AGENT"), await workspace.user("AGENT")
    column = pipeline["stage"]["Em contato"]
    a_top = await create_deal(gql, workspace.token, pipeline["id"], title="A em cima", ownerId=agent_a["id"])
    b_card = await create_deal(gql, workspace.token, pipeline["id"], title="De B", ownerId=agent_b["id"])
    a_moved = await create_deal(gql, workspace.token, pipeline["id"], title="A movido", ownerId=agent_a["id"])
    await move(gql, workspace.token, dealId=a_top["id"], stageId=column)
    await move(gql, workspace.token, dealId=b_card["id"], stageId=column, afterDealId=a_top["id"])
    since = (await board(gql, workspace.token, pipeline["id"]))["boardSequence"]
    async with (
        connect(server.ws_url, agent_a["token"]) as as_a,
        connect(server.ws_url, workspace.token) as as_admin,
    ):
        variables = {"pipelineId": pipeline["id"], "since": since}
        a_events, admin_events = (
            await subscribe(as_a, BOARD_EVENTS, variables),
            await subscribe(as_admin, BOARD_EVENTS, variables),
        )
        # when the admin places A's other card right after B's card
        await move(gql, workspace.token, dealId=a_moved["id"], stageId=column, afterDealId=b_card["id"])
        seen_by_a = (await a_events.next())["data"]["boardEvents"]
        seen_by_admin = (await admin_events.next())["data"]["boardEvents"]
    # then the admin is told the real anchor, and A (who may not see B's card)
    # the nearest card above it that A can see: never an id A cannot see
    assert seen_by_admin["afterDealId"] == b_card["id"]
    assert (seen_by_a["dealId"], seen_by_a["afterDealId"]) == (a_moved["id"], a_top["id"])


async def test_frames_go_straight_to_the_socket_and_wait_while_it_is_paused(
    gql, server, workspace, monkeypatch
):
    """A live frame is written to the socket's transport at once (web/ws_frames.py);
    while the transport asks the writer to pause, frames wait their turn
    on the ASGI path and arrive after it resumes, in order."""
    from revgraph.resolvers.board_hub import hubs
    from revgraph.web.ws_frames import FrameWriter

    written: list[bytes] = []
    original = FrameWriter.write

    def spying_write(self, text):
        sent = original(self, text)
        if sent:
            written.append(self.head + text + self.tail)
        return sent

    monkeypatch.setattr(FrameWriter, "write", spying_write)
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    since = (await board(gql, workspace.token, pipeline["id"]))["boardSequence"]
    stages = [
        pipeline["stage"]["Em contato"],
        pipeline["stage"]["Novo lead"],
        pipeline["stage"]["Em contato"],
    ]
    async with connect(server.ws_url, workspace.token) as socket:
        events = await subscribe(socket, BOARD_EVENTS, {"pipelineId": pipeline["id"], "since": since})
        await settled(pipeline["id"], subscribers=1)
        # when a card moves
        await move(gql, workspace.token, dealId=deal["id"], stageId=stages[0])
        first = await events.next()
        # then its frame was written straight to the socket, and is the full `next` message
        assert first["data"]["boardEvents"]["sequence"] == since + 1
        assert len(written) == 1 and json.loads(written[0]) == {
            "id": events.id,
            "type": "next",
            "payload": first,
        }
        # when the transport pauses its writer and the card moves twice more
        # (this workspace's hub: another test's may not have closed yet)
        workspace_id = (await Pipeline.get(id=pk_of(pipeline["id"], "Pipeline"))).workspace_id
        [member] = [
            m
            for (hub_workspace, _), hub in hubs.hubs.items()
            if hub_workspace == workspace_id
            for g in hub.groups.values()
            for m in g.members
        ]
        protocol = member.sink.writer.protocol
        protocol.pause_writing()
        try:
            for stage in stages[1:]:
                await move(gql, workspace.token, dealId=deal["id"], stageId=stage)
            # then nothing is written meanwhile
            await events.nothing_for(0.5)
        finally:
            protocol.resume_writing()
        # and once it resumes both arrive, in order, by the ASGI path
        later = [(await events.next())["data"]["boardEvents"]["sequence"] for _ in stages[1:]]
        assert later == [since + 2, since + 3] and len(written) == 1
