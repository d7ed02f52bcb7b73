"""Live inbox fan-out, measured: 1,000 inboxEvents subscribers spread over
two `revgraph serve` processes sharing PostgreSQL and Redis.

The inbox stream is the board's design on the same hub (resolvers/board_hub.py):
one hub per workspace and process, one read of the conversation and message
per event, one render per (visibility, inbox filter, selection set). The
goal is the board's: p99 < 100 ms from commit to receipt, nothing lost,
doubled or reordered.

The driver (this process):
1. creates the database `revgraph_bench_inbox` and a Redis key prefix of its
   own, starts two servers on them and seeds through server 1 a workspace
   with 10 agents, a round-robin queue of them, an API inbox routed through
   it and 100 conversations (receiveMessage from 100 contacts: 10 per agent);
2. for each run (1,000 admins; then 900 admins + 100 agents, 10 per agent:
   11 visibility scopes) starts two client processes, 500 subscribers each,
   client k on server k, all subscribed to inboxEvents(since: inboxSequence)
   with the same selection set (fanout_common.py, shared with fanout.py);
3. warms up with one inbound message per agent's conversation, measures
   the servers' idle CPU, then sends 50 inbound messages to random
   conversations through server 1 (receiveMessage: exactly one
   MESSAGE_CREATED each), one every ~200 ms;
4. checks that every subscriber got exactly its events (an admin all, an
   agent those of the conversations assigned to them), in sequence order,
   none missing or twice, and prints commit → receipt percentiles and
   server CPU per event.

Clients, servers, PostgreSQL and Redis share the same 2 cores: receipt
times include the client processes' own queueing (500 sockets per process).

    python bench/inbox_fanout.py [--subscribers 1000] [--messages 50] [--spacing 0.2]
"""

from __future__ import annotations

import random
import uuid
from typing import Any

INBOX_EVENTS = """
subscription Inbox($since: Int) {
  inboxEvents(since: $since) {
    sequence kind conversationId at
    conversation { id number status assignee { name } }
    message { id kind direction body }
  }
}
"""
CREATE_QUEUE = """
mutation($input: QueueInput!) { createQueue(input: $input) { queue { id } userErrors { code message field } } }
"""
CREATE_INBOX = """
mutation($input: InboxInput!) { createInbox(input: $input) { inbox { id } userErrors { code message field } } }
"""
RECEIVE = """
mutation($input: ReceiveMessageInput!) {
  receiveMessage(input: $input) { conversation { id assignee { id } } userErrors { code message field } }
}
"""
CONVERSATIONS = 100


def phone(index: int) -> str:
    return f"+55119{index:08d}"


async def receive(api: Any, token: str, inbox_id: str, index: int, body: str) -> dict[str, Any]:
    variables = {
        "input": {
            "inboxId": inbox_id,
            "from": {"name": f"Cliente {index}", "phone": phone(index)},
            "body": body,
            "externalId": f"bench-{uuid.uuid4().hex}",
        }
    }
    return (await api.ok(RECEIVE, variables, token))["receiveMessage"]["conversation"]


async def seed(api: Any, workspace: Any) -> tuple[dict[str, Any], str]:
    """The inbox, and each conversation's contact index -> assignee id."""
    token = workspace.admin.token
    members = [{"userId": agent.id} for agent in workspace.agents]
    queue = await api.ok(
        CREATE_QUEUE,
        {"input": {"name": "Atendimento", "mode": "OFFLINE", "strategy": "ROUND_ROBIN", "members": members}},
        token,
    )
    queue_id = queue["createQueue"]["queue"]["id"]
    inbox = await api.ok(
        CREATE_INBOX, {"input": {"name": "API", "channel": "API", "queueId": queue_id}}, token
    )
    inbox_id = inbox["createInbox"]["inbox"]["id"]
    assignees = {}
    for index in range(CONVERSATIONS):
        conversation = await receive(api, token, inbox_id, index, "Olá, quero saber do apartamento")
        assignees[index] = conversation["assignee"]["id"]
    seeded = {"inbox_id": inbox_id, "assignees": assignees}
    return seeded, f"{CONVERSATIONS} conversations over {len(workspace.agents)} agents"


async def plan(api: Any, workspace: Any, seeded: dict[str, Any], rng: random.Random, args: Any) -> Any:
    from fanout_common import Plan, Stream

    inbox_id, assignees = seeded["inbox_id"], seeded["assignees"]
    admin = workspace.admin
    since = (await api.ok("query { inboxSequence }", token=admin.token))["inboxSequence"]
    # The plan, sequences included: this driver is the inbox's only writer,
    # and an inbound message to an open conversation is one MESSAGE_CREATED.
    by_agent: dict[str, list[int]] = {}
    for index, agent in assignees.items():
        by_agent.setdefault(agent, []).append(index)
    warm = [rng.choice(by_agent[a.id]) for a in workspace.agents]
    measured = [rng.choice(list(assignees)) for _ in range(args.events)]

    def message(index: int) -> Any:
        async def act() -> None:
            await receive(api, admin.token, inbox_id, index, f"Mensagem {rng.randrange(10**6)}")

        return act

    return Plan(
        Stream(INBOX_EVENTS, "inboxEvents", {"since": since}, "inbox_sequence"),
        since,
        [message(i) for i in warm],
        [message(i) for i in measured],
        [assignees[i] for i in [*warm, *measured]],
    )


if __name__ == "__main__":
    from fanout_common import main

    main(
        "inbox fan-out",
        "revgraph_bench_inbox",
        seed,
        plan,
        "receiveMessage",
        "--messages",
        "measured messages",
    )
