"""inboxEvents: every change to the conversations a subscriber may see, in
the workspace's sequence order, each delivered as the subscriber's
visibility was at it (REMOVED when a change took the conversation away),
replayed from the log with since, shared between subscribers of one
visibility and selection set, and across processes through Redis."""

import asyncio
import contextlib
import json
import uuid

import pytest

from tests.conftest import REAL_REDIS
from tests.distribution.support import create_queue
from tests.inbox.support import create_inbox, receive, send
from tests.live import connect, subscribe

INBOX_EVENTS = """
subscription Inbox($inboxId: ID, $since: Int) {
  inboxEvents(inboxId: $inboxId, since: $since) {
    sequence kind conversationId at
    actor { id }
    conversation { id number status assignee { id } }
    message { id kind direction body }
  }
}
"""

INBOX_SEQUENCE = "query { inboxSequence }"

ASSIGN = """
mutation Assign($id: ID!, $userId: ID) {
  assignConversation(id: $id, userId: $userId) { conversation { id assignee { id } } userErrors { code } }
}
"""

TRANSFER = """
mutation Transfer($input: TransferConversationInput!) {
  transferConversation(input: $input) { conversation { id assignee { id } } userErrors { code } }
}
"""


async def sequence_now(gql, token):
    return (await gql.ok(INBOX_SEQUENCE, token=token))["inboxSequence"]


async def assign(gql, token, conversation_id, user_id):
    data = await gql.ok(ASSIGN, {"id": conversation_id, "userId": user_id}, token=token)
    assert data["assignConversation"]["userErrors"] == [], data


async def transfer(gql, token, conversation_id, user_id):
    variables = {"input": {"conversationId": conversation_id, "userId": user_id, "reason": "Fala inglês"}}
    data = await gql.ok(TRANSFER, variables, token=token)
    assert data["transferConversation"]["userErrors"] == [], data


async def next_event(events, timeout=5.0):
    return (await events.next(timeout))["data"]["inboxEvents"]


async def inbox_of(gql, workspace, *members, mode="OFFLINE"):
    """An inbox whose round-robin queue holds `members`: mode OFFLINE
    assigns them though offline; ONLINE leaves conversations waiting in the
    queue's backlog (nobody in these tests is online)."""
    queue = await create_queue(
        gql,
        workspace.token,
        [{"userId": m["id"]} for m in members],
        mode=mode,
        name=f"Fila {uuid.uuid4().hex[:6]}",
    )
    return await create_inbox(gql, workspace.token, queue_id=queue["id"])


async def test_an_intake_emits_conversation_created_then_message_created(gql, server, workspace):
    # given an inbox routing to an agent, and an admin subscribed from now
    agent = await workspace.user("AGENT")
    inbox = await inbox_of(gql, workspace, agent)
    since = await sequence_now(gql, workspace.token)
    async with connect(server.ws_url, workspace.token) as socket:
        events = await subscribe(socket, INBOX_EVENTS, {"since": since})
        # when the admin delivers a first message from a new contact
        received = await receive(gql, workspace.token, inbox["id"], body="Olá, tem vaga?")
        conversation, message = received["conversation"], received["message"]
        created = await next_event(events)
        added = await next_event(events)
    # then the conversation's creation comes first, then its message, numbered in order
    assert (created["sequence"], created["kind"]) == (since + 1, "CONVERSATION_CREATED")
    assert created["conversationId"] == conversation["id"]
    assert created["conversation"] == {
        "id": conversation["id"],
        "number": conversation["number"],
        "status": "OPEN",
        "assignee": {"id": agent["id"]},
    }
    assert created["message"] is None and created["actor"] == {"id": workspace.admin["id"]}
    assert (added["sequence"], added["kind"], added["conversationId"]) == (
        since + 2,
        "MESSAGE_CREATED",
        conversation["id"],
    )
    assert added["message"] == {
        "id": message["id"],
        "kind": "TEXT",
        "direction": "INBOUND",
        "body": "Olá, tem vaga?",
    }
    assert await sequence_now(gql, workspace.token) == since + 2


async def test_sequences_are_gap_free_and_in_commit_order(gql, server, workspace):
    # given two unassigned conversations (an inbox without a queue) and an admin subscribed from now
    agent = await workspace.user("AGENT")
    inbox = await create_inbox(gql, workspace.token)
    first = (await receive(gql, workspace.token, inbox["id"], phone="+5511900000001"))["conversation"]
    second = (await receive(gql, workspace.token, inbox["id"], phone="+5511900000002"))["conversation"]
    since = await sequence_now(gql, workspace.token)
    async with connect(server.ws_url, workspace.token) as socket:
        events = await subscribe(socket, INBOX_EVENTS, {"since": since})
        # when changes to both interleave, some of them at the same time
        await send(gql, workspace.token, first["id"], "Nota interna", kind="NOTE")
        await asyncio.gather(
            receive(gql, workspace.token, inbox["id"], phone="+5511900000002", body="Alô?"),
            assign(gql, workspace.token, first["id"], agent["id"]),
            send(gql, workspace.token, second["id"], "Outra nota", kind="NOTE"),
        )
        await receive(gql, workspace.token, inbox["id"], phone="+5511900000001", body="Ainda aí?")
        # (a note, a message, an assignment with its activity line, a note, a message)
        received = [await next_event(events) for _ in range(6)]
        await events.nothing_for(0.3)
    # then every event arrives once, numbered without gaps, in order
    assert [e["sequence"] for e in received] == list(range(since + 1, since + 7))
    assert await sequence_now(gql, workspace.token) == since + 6
    kinds = sorted(e["kind"] for e in received)
    assert kinds == ["CONVERSATION_UPDATED"] + ["MESSAGE_CREATED"] * 5
    # and the assignment's activity line follows its CONVERSATION_UPDATED
    updated = next(i for i, e in enumerate(received) if e["kind"] == "CONVERSATION_UPDATED")
    assert received[updated]["conversation"]["assignee"] == {"id": agent["id"]}
    assert received[updated + 1]["message"]["kind"] == "ACTIVITY"
    assert received[updated + 1]["conversationId"] == first["id"]


async def test_a_conversation_transferred_away_is_removed_for_its_former_agent(gql, server, workspace):
    # given a conversation routed to agent A, and A and B subscribed
    agent_a, agent_b = await workspace.user("AGENT"), await workspace.user("AGENT")
    inbox = await inbox_of(gql, workspace, agent_a)
    conversation = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    assert conversation["assignee"] == {"id": agent_a["id"]}
    since = await sequence_now(gql, workspace.token)
    async with (
        connect(server.ws_url, agent_a["token"]) as as_a,
        connect(server.ws_url, agent_b["token"]) as as_b,
    ):
        a_events = await subscribe(as_a, INBOX_EVENTS, {"since": since})
        b_events = await subscribe(as_b, INBOX_EVENTS, {"since": since})
        # when the admin transfers it to B
        await transfer(gql, workspace.token, conversation["id"], agent_b["id"])
        removed = await next_event(a_events)
        for_b = [await next_event(b_events) for _ in range(2)]
        # then A is told it is gone, and does not get the transfer's activity line
        assert (removed["sequence"], removed["kind"]) == (since + 1, "REMOVED")
        assert removed["conversationId"] == conversation["id"]
        assert (removed["conversation"], removed["message"]) == (None, None)
        await a_events.nothing_for(0.3)
    # and B gets the change, then the activity line
    assert [(e["sequence"], e["kind"]) for e in for_b] == [
        (since + 1, "CONVERSATION_UPDATED"),
        (since + 2, "MESSAGE_CREATED"),
    ]
    assert for_b[0]["conversation"]["assignee"] == {"id": agent_b["id"]}
    assert for_b[1]["message"]["kind"] == "ACTIVITY" and "Fala inglês" in for_b[1]["message"]["body"]


async def test_an_agent_gets_only_conversations_assigned_to_them_or_waiting_in_their_queue(
    gql, server, workspace
):
    # given A in the queue of one inbox (where conversations wait: nobody
    # is online), and B in the queue of another (which assigns B)
    agent_a, agent_b = await workspace.user("AGENT"), await workspace.user("AGENT")
    inbox_a = await inbox_of(gql, workspace, agent_a, mode="ONLINE")
    inbox_b = await inbox_of(gql, workspace, agent_b)
    since = await sequence_now(gql, workspace.token)
    async with connect(server.ws_url, agent_a["token"]) as socket:
        events = await subscribe(socket, INBOX_EVENTS, {"since": since})
        # when a conversation comes in to B's inbox (assigned to B)
        theirs = (await receive(gql, workspace.token, inbox_b["id"], phone="+5511900000002"))["conversation"]
        assert theirs["assignee"] == {"id": agent_b["id"]}
        # and one to A's inbox, where it waits unassigned
        mine = (await receive(gql, workspace.token, inbox_a["id"], phone="+5511900000001"))["conversation"]
        assert mine["assignee"] is None
        waiting = [await next_event(events) for _ in range(2)]
        # then A got nothing of B's (sequences +1, +2), and A's queue's waiting one
        assert [(e["sequence"], e["kind"], e["conversationId"]) for e in waiting] == [
            (since + 3, "CONVERSATION_CREATED", mine["id"]),
            (since + 4, "MESSAGE_CREATED", mine["id"]),
        ]
        assert waiting[0]["conversation"]["assignee"] is None
        # when it is assigned to A: A still sees it, with its activity line
        await assign(gql, workspace.token, mine["id"], agent_a["id"])
        assigned = [await next_event(events) for _ in range(2)]
        assert [(e["sequence"], e["kind"]) for e in assigned] == [
            (since + 5, "CONVERSATION_UPDATED"),
            (since + 6, "MESSAGE_CREATED"),
        ]
        assert assigned[0]["conversation"]["assignee"] == {"id": agent_a["id"]}
        assert assigned[1]["message"]["kind"] == "ACTIVITY"
        # when it is given to B: REMOVED for A, and nothing more (+8 is its activity line)
        await assign(gql, workspace.token, mine["id"], agent_b["id"])
        removed = await next_event(events)
        assert (removed["sequence"], removed["kind"]) == (since + 7, "REMOVED")
        assert removed["conversationId"] == mine["id"] and removed["conversation"] is None
        # and B's conversation changing does not reach A either
        await send(gql, workspace.token, theirs["id"], "Nota", kind="NOTE")
        await events.nothing_for(0.3)
    assert await sequence_now(gql, workspace.token) == since + 9


async def test_a_manager_gets_their_team_subtree(gql, server, workspace):
    # given a manager's team with a sub-team, an agent in each, and an agent outside
    manager = await workspace.user("MANAGER")
    team = await workspace.team("Vendas", manager_id=manager["id"])
    sub_team = await workspace.team("Vendas Sul", parent_id=team["id"])
    inside = await workspace.user("AGENT", team_id=team["id"])
    below = await workspace.user("AGENT", team_id=sub_team["id"])
    outside = await workspace.user("AGENT")
    inbox_inside = await inbox_of(gql, workspace, inside)
    inbox_below = await inbox_of(gql, workspace, below)
    inbox_outside = await inbox_of(gql, workspace, outside)
    since = await sequence_now(gql, workspace.token)
    async with connect(server.ws_url, manager["token"]) as socket:
        events = await subscribe(socket, INBOX_EVENTS, {"since": since})
        # when a conversation comes in to each inbox
        outsiders = await receive(gql, workspace.token, inbox_outside["id"], phone="+5511900000003")
        one = await receive(gql, workspace.token, inbox_inside["id"], phone="+5511900000001")
        two = await receive(gql, workspace.token, inbox_below["id"], phone="+5511900000002")
        received = [await next_event(events) for _ in range(4)]
        await events.nothing_for(0.3)
    # then the manager gets the two of the subtree, not the outsider's
    assert [(e["sequence"], e["kind"]) for e in received] == [
        (since + 3, "CONVERSATION_CREATED"),
        (since + 4, "MESSAGE_CREATED"),
        (since + 5, "CONVERSATION_CREATED"),
        (since + 6, "MESSAGE_CREATED"),
    ]
    assert [e["conversation"]["assignee"]["id"] for e in received] == [inside["id"]] * 2 + [below["id"]] * 2
    assert outsiders["conversation"]["id"] not in {e["conversationId"] for e in received}
    assert {e["conversationId"] for e in received} == {one["conversation"]["id"], two["conversation"]["id"]}


async def test_the_inbox_filter_keeps_to_one_inbox(gql, server, workspace):
    # given two inboxes and an admin following only the first
    first = await create_inbox(gql, workspace.token)
    second = await create_inbox(gql, workspace.token)
    since = await sequence_now(gql, workspace.token)
    async with connect(server.ws_url, workspace.token) as socket:
        events = await subscribe(socket, INBOX_EVENTS, {"inboxId": first["id"], "since": since})
        # when a message comes in to each
        await receive(gql, workspace.token, second["id"], phone="+5511900000002")
        wanted = await receive(gql, workspace.token, first["id"], phone="+5511900000001")
        received = [await next_event(events) for _ in range(2)]
        await events.nothing_for(0.3)
    # then only the first inbox's events arrive
    assert [(e["sequence"], e["kind"]) for e in received] == [
        (since + 3, "CONVERSATION_CREATED"),
        (since + 4, "MESSAGE_CREATED"),
    ]
    assert {e["conversationId"] for e in received} == {wanted["conversation"]["id"]}


async def test_an_inbox_of_another_workspace_is_not_found(gql, server, workspace, other_workspace):
    inbox = await create_inbox(gql, workspace.token)
    async with connect(server.ws_url, other_workspace.token) as socket:
        events = await subscribe(socket, INBOX_EVENTS, {"inboxId": inbox["id"], "since": 0})
        message = json.loads(await asyncio.wait_for(socket.recv(), 5))
        # an execution error of the stream: a `next` carrying the error, then `complete`
        assert message["type"] == "next" and message["id"] == events.id
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert message["payload"]["errors"][0]["message"] == "Caixa de entrada: registro não encontrado."
        done = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert done == {"type": "complete", "id": events.id}


async def test_since_replays_as_of_each_event_then_goes_live(gql, server, workspace):
    # given a conversation routed to A, then transferred to B, and one more routed to A
    agent_a, agent_b = await workspace.user("AGENT"), await workspace.user("AGENT")
    inbox = await inbox_of(gql, workspace, agent_a)
    gone = (await receive(gql, workspace.token, inbox["id"], phone="+5511900000001"))["conversation"]
    await transfer(gql, workspace.token, gone["id"], agent_b["id"])
    kept = (await receive(gql, workspace.token, inbox["id"], phone="+5511900000002"))["conversation"]
    async with connect(server.ws_url, agent_a["token"]) as socket:
        # when A subscribes with since: 0
        events = await subscribe(socket, INBOX_EVENTS, {"since": 0})
        replayed = [await next_event(events) for _ in range(5)]
        # then A gets what A could see at each event: the first conversation's
        # creation and message (no longer readable: null), its REMOVED, not
        # the transfer's activity line (1..4), then the second's two events
        assert [(e["sequence"], e["kind"]) for e in replayed] == [
            (1, "CONVERSATION_CREATED"),
            (2, "MESSAGE_CREATED"),
            (3, "REMOVED"),
            (5, "CONVERSATION_CREATED"),
            (6, "MESSAGE_CREATED"),
        ]
        assert [e["conversation"] for e in replayed[:3]] == [None, None, None]
        assert replayed[1]["message"] is None
        assert replayed[3]["conversation"]["id"] == kept["id"]
        # and then live, without duplicates
        note = await send(gql, agent_a["token"], kept["id"], "Já volto", kind="NOTE")
        live = await next_event(events)
        assert (live["sequence"], live["kind"], live["message"]["id"]) == (
            7,
            "MESSAGE_CREATED",
            note["message"]["id"],
        )
        assert live["actor"] == {"id": agent_a["id"]}
        await events.nothing_for(0.3)


async def test_reconnect_with_since_receives_what_was_missed(gql, server, workspace):
    inbox = await create_inbox(gql, workspace.token)
    conversation = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    async with connect(server.ws_url, workspace.token) as socket:
        events = await subscribe(socket, INBOX_EVENTS, {"since": 0})
        last_seen = [(await next_event(events))["sequence"] for _ in range(2)][-1]
    # while disconnected, two notes are written
    for body in ("Primeira", "Segunda"):
        await send(gql, workspace.token, conversation["id"], body, kind="NOTE")
    async with connect(server.ws_url, workspace.token) as socket:
        events = await subscribe(socket, INBOX_EVENTS, {"since": last_seen})
        missed = [await next_event(events) for _ in range(2)]
        assert [(e["sequence"], e["message"]["body"]) for e in missed] == [
            (last_seen + 1, "Primeira"),
            (last_seen + 2, "Segunda"),
        ]
        await events.nothing_for(0.3)


async def test_one_render_per_visibility_and_selection_is_shared(gql, server, workspace, monkeypatch):
    from revgraph.schema import board as board_schema

    renders = []
    original = board_schema.LeanExecutionContext.execute_operation

    def counting(self, serially=None):
        if getattr(self.root_value, "shared_results", None) is not None:
            renders.append((self.root_value.sequence, self.root_value.kind.value))
        return original(self, serially)

    monkeypatch.setattr(board_schema.LeanExecutionContext, "execute_operation", counting)
    # given three admins (one without since) and an agent of the inbox's queue
    agent = await workspace.user("AGENT")
    inbox = await inbox_of(gql, workspace, agent)
    since = await sequence_now(gql, workspace.token)
    async with contextlib.AsyncExitStack() as stack:
        subscriptions = []
        for token, start in ((workspace.token, since), (workspace.token, None), (workspace.token, since)):
            socket = await stack.enter_async_context(connect(server.ws_url, token))
            variables = {} if start is None else {"since": start}
            subscriptions.append(await subscribe(socket, INBOX_EVENTS, variables))
        socket = await stack.enter_async_context(connect(server.ws_url, agent["token"]))
        subscriptions.append(await subscribe(socket, INBOX_EVENTS, {}))
        await _settled(subscribers=4)
        # when a message comes in
        await receive(gql, workspace.token, inbox["id"])
        payloads = [[await s.next() for _ in range(2)] for s in subscriptions]
    # then everybody got the same two events; the admins shared one render
    # per event, the agent had their own
    assert all(p == payloads[0] for p in payloads)
    assert sorted(renders) == [
        (since + 1, "CONVERSATION_CREATED"),
        (since + 1, "CONVERSATION_CREATED"),
        (since + 2, "MESSAGE_CREATED"),
        (since + 2, "MESSAGE_CREATED"),
    ]


async def _settled(subscribers: int) -> None:
    """Wait until this process's inbox hub feeds `subscribers` (a
    subscription is acknowledged before its resolver has joined)."""
    from revgraph.resolvers.board_hub import hubs

    joined = 0
    for _ in range(250):
        joined = sum(
            len(group.members)
            for (_, key), hub in hubs.hubs.items()
            if key == "inbox"
            for group in hub.groups.values()
        )
        if joined >= subscribers:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"only {joined} of {subscribers} subscribers joined the inbox hub")


@pytest.mark.skipif(not REAL_REDIS, reason="needs REVGRAPH_TEST_REDIS_URL (real services)")
async def test_a_change_made_through_one_process_reaches_a_subscriber_of_another(gql, server, workspace):
    from tests.infra.revgraph_process import ServeProcess

    # given a second API process on the same database and Redis, and a subscriber on it
    other = ServeProcess().start()
    try:
        assert (await other.wait_ready()).status_code == 200
        inbox = await create_inbox(gql, workspace.token)
        since = await sequence_now(gql, workspace.token)
        async with connect(other.ws_url, workspace.token) as socket:
            events = await subscribe(socket, INBOX_EVENTS, {"since": since})
            # (a first event, to know the subscription is live)
            first = await receive(gql, workspace.token, inbox["id"], phone="+5511900000001")
            assert (await next_event(events, 10))["sequence"] == since + 1
            assert (await next_event(events, 10))["sequence"] == since + 2
            # when conversations change through this test's server
            second = await receive(gql, workspace.token, inbox["id"], phone="+5511900000002")
            await send(gql, workspace.token, first["conversation"]["id"], "Nota", kind="NOTE")
            received = [await next_event(events, 10) for _ in range(3)]
            await events.nothing_for(0.3)
        # then the other process's subscriber receives them over Redis, in order
        assert [(e["sequence"], e["kind"], e["conversationId"]) for e in received] == [
            (since + 3, "CONVERSATION_CREATED", second["conversation"]["id"]),
            (since + 4, "MESSAGE_CREATED", second["conversation"]["id"]),
            (since + 5, "MESSAGE_CREATED", first["conversation"]["id"]),
        ]
    finally:
        if other.process is not None:
            await other.stop()


async def test_inbox_sequence_needs_authentication(gql):
    body = await gql(INBOX_SEQUENCE)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body.get("data") is None
