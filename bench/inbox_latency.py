"""Part 2 of bench/inbox_intake.py: the time from an intake's commit to the
assignee's `inboxEvents` receipt.

Every agent subscribes to `inboxEvents(since: inboxSequence)` over
graphql-transport-ws (the bearer token in connection_init), on the server
that takes the messages. One new sender per agent warms up (and becomes a
returning sender later) until every agent has heard its
CONVERSATION_CREATED. Then `--latency-messages` messages at `--rate` a
second on a fixed schedule (not one after another's answer): 70 % new
senders (CONVERSATION_CREATED then MESSAGE_CREATED to the assignee), 30 %
the warm-up senders again (MESSAGE_CREATED to their assignee). For each:
the time from the mutation's answer (the intake committed before it
answered) to the assignee's receipt of each event, and from its send.
The event may beat the answer (the server publishes after commit, then
renders the answer): then the figure is negative.

Checked: every expected event reached its assignee's socket once (lost,
doubled), no measured event reached another agent (misdelivered), each
socket's sequences strictly increasing."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import defaultdict
from typing import Any

from distribution_common import Api, messages, spread, stop_listening, subscription
from inbox_common import LATENCY_SENDERS, RETURNING_SHARE, Answer, Inbox, receive

INBOX_SEQUENCE = "query { inboxSequence }"
WAIT_FOR_EVENTS_SECONDS = 10


def inbox_events(since: int) -> str:
    return (
        f"subscription {{ inboxEvents(since: {since}) {{ sequence kind conversationId message {{ id }} }} }}"
    )


# (kind, conversation id, message id or None) -> [(arrival perf_counter, socket index)]
Receipts = dict[tuple[str, str, str | None], list[tuple[float, int]]]


async def scheduled(
    api: Api, token: str, inbox_id: str, at: float, index: int, sender: int, returning: bool
) -> Answer:
    """Send at `at` (perf_counter), whatever the earlier ones' answers."""
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    return await receive(api, token, inbox_id, sender, f"wamid.latency.{index}", returning=returning)


def expected(answer: Answer) -> list[tuple[str, str, str | None]]:
    """The events an answer's assignee must receive."""
    keys: list[tuple[str, str, str | None]] = [
        ("MESSAGE_CREATED", answer.conversation_id or "", answer.message_id)
    ]
    if not answer.returning:
        keys.insert(0, ("CONVERSATION_CREATED", answer.conversation_id or "", None))
    return keys


def delays(
    answers: list[Answer], receipts: Receipts, agent_index: dict[str, int]
) -> tuple[dict[str, Any], list[str]]:
    from_answer: dict[str, list[float]] = defaultdict(list)
    from_send: dict[str, list[float]] = defaultdict(list)
    lost = doubled = misdelivered = errors = 0
    for answer in answers:
        if answer.error or answer.assignee_id is None:
            errors += 1
            continue
        mine = agent_index[answer.assignee_id]
        for key in expected(answer):
            hits = receipts.get(key, [])
            misdelivered += sum(1 for _, socket in hits if socket != mine)
            at_assignee = [arrival for arrival, socket in hits if socket == mine]
            if not at_assignee:
                lost += 1
                continue
            doubled += len(at_assignee) > 1
            label = f"{key[0].lower()}{'' if key[0] == 'CONVERSATION_CREATED' else '_returning' if answer.returning else '_new'}"
            from_answer[label].append(at_assignee[0] - answer.answered)
            from_send[label].append(at_assignee[0] - answer.sent)
    result = {
        "messages": len(answers),
        "intake_latency": spread([a.seconds for a in answers]),
        "answer_to_receipt": {
            k: {**spread(v), "min_ms": round(min(v) * 1e3, 1)} for k, v in sorted(from_answer.items())
        },
        "send_to_receipt": {k: spread(v) for k, v in sorted(from_send.items())},
        "answer_to_receipt_all": spread([d for v in from_answer.values() for d in v]),
        "lost": lost,
        "doubled": doubled,
        "misdelivered": misdelivered,
        "errors": errors,
    }
    failures = [
        f"commit -> receipt: {result[k]} {k}"
        for k in ("lost", "doubled", "misdelivered", "errors")
        if result[k]
    ]
    return result, failures


async def commit_to_receipt(server: Any, inbox: Inbox, args: Any) -> tuple[dict[str, Any], list[str]]:
    workspace = inbox.workspace
    token = workspace.admin.token
    agent_index = {agent.id: i for i, agent in enumerate(workspace.agents)}
    receipts: Receipts = defaultdict(list)
    sequences: list[list[int]] = [[] for _ in workspace.agents]
    api = Api(server.url, connections=32)
    rng = random.Random(13)
    try:
        since = (await api.ok(INBOX_SEQUENCE, token=token))["inboxSequence"]
        async with contextlib.AsyncExitStack() as stack:
            sockets = [
                await stack.enter_async_context(subscription(server.ws_url, agent.token, inbox_events(since)))
                for agent in workspace.agents
            ]

            async def listen(index: int, ws: Any) -> None:
                async for arrived, payload in messages(ws):
                    if payload.get("errors"):
                        raise RuntimeError(f"inboxEvents errors: {payload['errors']}")
                    event = payload["data"]["inboxEvents"]
                    sequences[index].append(event["sequence"])
                    message = (event.get("message") or {}).get("id")
                    receipts[(event["kind"], event["conversationId"], message)].append((arrived, index))

            listeners = [asyncio.create_task(listen(i, ws)) for i, ws in enumerate(sockets)]
            try:
                warm = [
                    await receive(
                        api, token, inbox.id, LATENCY_SENDERS + n, f"wamid.warm.{n}", returning=False
                    )
                    for n in range(len(workspace.agents))
                ]
                if any(a.error for a in warm):
                    raise RuntimeError(f"warm-up failed: {[a.error for a in warm if a.error][:3]}")
                await until_heard(warm, receipts, agent_index, listeners)
                start = time.perf_counter() + 0.2
                plan = [
                    (start + i / args.rate, i, *pick(rng, warm, LATENCY_SENDERS + len(warm) + i))
                    for i in range(args.latency_messages)
                ]
                answers = await asyncio.gather(*(scheduled(api, token, inbox.id, *row) for row in plan))
                await until_heard(answers, receipts, agent_index, listeners)
            finally:
                await stop_listening(listeners)
    finally:
        await api.aclose()
    result, failures = delays(answers, receipts, agent_index)
    result.update(rate_per_s=args.rate, subscribers=len(workspace.agents))
    unordered = sum(1 for seqs in sequences if any(b <= a for a, b in itertools.pairwise(seqs)))
    result["sockets_out_of_order"] = unordered
    if unordered:
        failures.append(f"{unordered} sockets received sequences out of order")
    return result, failures


def pick(rng: random.Random, warm: list[Answer], fresh: int) -> tuple[int, bool]:
    """(sender, returning): a new sender, or RETURNING_SHARE of the time a warm-up one again."""
    if rng.random() < RETURNING_SHARE:
        return rng.choice(warm).sender, True
    return fresh, False


async def until_heard(
    answers: list[Answer], receipts: Receipts, agent_index: dict[str, int], listeners: list[asyncio.Task]
) -> None:
    """Wait (at most WAIT_FOR_EVENTS_SECONDS) until every answer's events reached its assignee."""
    deadline = time.perf_counter() + WAIT_FOR_EVENTS_SECONDS
    while time.perf_counter() < deadline:
        if any(task.done() for task in listeners):
            return
        if all(
            any(socket == agent_index.get(a.assignee_id or "") for _, socket in receipts.get(key, []))
            for a in answers
            if not a.error
            for key in expected(a)
        ):
            return
        await asyncio.sleep(0.05)
