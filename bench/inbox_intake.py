"""Inbox intake measured: `receiveMessage` with routing, on both backends,
and the time from an intake's commit to the assignee's `inboxEvents`
receipt.

    python bench/inbox_intake.py [--backend sqlite postgres] [--agents 10] [--clients 8]
                                 [--seconds 20] [--rate 10] [--latency-messages 150] [--json out.json]

Per backend, a production-shaped server (distribution_common.cluster): a
fresh SQLite file in embedded mode (tasks in the server process), or a
fresh PostgreSQL database with a Redis key prefix of its own and a
`revgraph worker`; one `revgraph serve` either way. Seeded through the API:
a workspace, `--agents` agents in an OFFLINE ROUND_ROBIN queue (everyone
eligible), an SLA policy, a WhatsApp inbox routed through the queue.

1. Throughput: `--clients` concurrent clients send receiveMessage for
   `--seconds`, each a new sender (a new contact and conversation, routed)
   or, 30 % of the time, a returning one (an acknowledged sender again,
   phone typed differently: the message joins their open conversation);
   every externalId unique. Messages/s, p50/p99 latency, server CPU per
   message. Checked afterwards in SQL: every acknowledged message stored
   once, in the conversation its answer named; one contact and one
   conversation per new sender; every conversation assigned, the
   assignees in strict rotation in conversation order (so each agent's
   share is the floor or the ceiling of conversations / agents); one
   conversation.created and one message.created log event each; the inbox
   stream's sequence numbers gap-free.
2. Commit -> receipt (bench/inbox_latency.py): every agent subscribed to
   `inboxEvents`; messages sent at a fixed rate; for each, the time from
   the mutation's answer (after commit) to the assignee's receipt of
   MESSAGE_CREATED (and CONVERSATION_CREATED for a new sender); none lost,
   none sent to another agent.

Exit status 1 if any check fails. Results also go to bench/results/."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sqlite3
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from board_common import group_cpu_seconds
from distribution_common import Api, cluster, pk, run, run_backends, spread, sql
from inbox_common import RETURNING_SHARE, Answer, Inbox, receive, seed_inbox
from inbox_latency import commit_to_receipt


async def throughput(
    server: Any, worker: Any, inbox: Inbox, clients: int, seconds: float
) -> tuple[dict[str, Any], list[Answer]]:
    """`clients` clients, each sending one message after another's answer, for `seconds`."""
    rng = random.Random(7)
    api = Api(server.url, connections=clients)
    token = inbox.workspace.admin.token
    known: list[int] = []  # senders whose first message was acknowledged
    new_senders = itertools.count()
    external_ids = (f"wamid.{uuid.uuid4().hex[:8]}.{n}" for n in itertools.count())
    answers: list[Answer] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            returning = bool(known) and rng.random() < RETURNING_SHARE
            sender = rng.choice(known) if returning else next(new_senders)
            answer = await receive(api, token, inbox.id, sender, next(external_ids), returning=returning)
            answers.append(answer)
            if not returning and not answer.error:
                known.append(sender)

    # Dramatiq forks its workers: the worker's CPU is its process group's.
    cpu_before = server.cpu_seconds(), group_cpu_seconds(worker.popen.pid) if worker else 0.0
    started = time.perf_counter()
    try:
        await asyncio.gather(*(client() for _ in range(clients)))
    finally:
        await api.aclose()
    elapsed = time.perf_counter() - started
    server_cpu = server.cpu_seconds() - cpu_before[0]
    worker_cpu = (group_cpu_seconds(worker.popen.pid) - cpu_before[1]) if worker else None
    errors = [a.error for a in answers if a.error]
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "messages": len(answers),
        "returning": sum(a.returning for a in answers),
        "messages_per_s": round(len(answers) / elapsed, 1),
        "latency": spread([a.seconds for a in answers]),
        "latency_new_sender": spread([a.seconds for a in answers if not a.returning]),
        "latency_returning_sender": spread([a.seconds for a in answers if a.returning]),
        "errors": len(errors),
        "first_errors": errors[:5],
        "server_cpu_ms_per_message": round(server_cpu * 1e3 / max(len(answers), 1), 1),
        "worker_cpu_s": round(worker_cpu, 1) if worker_cpu is not None else None,
    }, answers


async def rows(database_url: str, query: str) -> list[tuple]:
    """Read-back on either backend (the query's parameters inlined: integers only)."""
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as conn:
            return conn.execute(query).fetchall()
    async with sql(database_url) as conn:
        return [tuple(r) for r in await conn.fetch(query)]


def rotation_breaks(assignees: list[int | None], agents: int) -> int:
    """Conversations (in id order) whose assignee is not the round robin's
    next: the first `agents` all differ, then the cycle repeats."""
    head = assignees[:agents]
    breaks = len(head) - len(set(head))
    return breaks + sum(1 for i in range(agents, len(assignees)) if assignees[i] != assignees[i - agents])


async def check_intake(database_url: str, inbox: Inbox, answers: list[Answer]) -> tuple[dict, list[str]]:
    """Every acknowledged message stored once, one conversation per new
    sender, assigned in strict rotation, its log events and gap-free stream."""
    failures: list[str] = []
    ok = [a for a in answers if not a.error]
    inbox_pk = pk(inbox.id, "Inbox")
    (workspace_pk,) = (await rows(database_url, f"SELECT workspace_id FROM inbox WHERE id = {inbox_pk}"))[0]
    stored = await rows(
        database_url,
        f"SELECT external_id, conversation_id FROM message WHERE inbox_id = {inbox_pk} AND direction = 'INBOUND'",
    )
    copies = Counter(external_id for external_id, _ in stored)
    conversation_of = dict(stored)
    missing = sum(1 for a in ok if copies[a.external_id] == 0)
    doubled = sum(1 for a in ok if copies[a.external_id] > 1)
    elsewhere = sum(
        1
        for a in ok
        if copies[a.external_id]
        and conversation_of[a.external_id] != pk(a.conversation_id or "", "Conversation")
    )
    conversations = await rows(
        database_url,
        f"SELECT id, contact_id, assignee_id FROM conversation WHERE inbox_id = {inbox_pk} ORDER BY id",
    )
    senders = {a.sender for a in ok}
    conversation_ids_of: dict[int, set[str]] = defaultdict(set)
    for a in ok:
        conversation_ids_of[a.sender].add(a.conversation_id or "")
    (contacts,) = (
        await rows(
            database_url,
            f"SELECT count(*) FROM contact WHERE workspace_id = {workspace_pk} AND deleted_at IS NULL",
        )
    )[0]
    assignees = [assignee for _, _, assignee in conversations]
    shares = Counter(assignees)
    agents = len(inbox.workspace.agents)
    share_counts = [shares.get(pk(agent.id, "User"), 0) for agent in inbox.workspace.agents]
    events = dict(
        await rows(
            database_url,
            f"SELECT kind, count(*) FROM event WHERE workspace_id = {workspace_pk}"
            " AND kind IN ('conversation.created', 'message.created') GROUP BY kind",
        )
    )
    (stream_events, distinct_sequences, last_sequence) = (
        await rows(
            database_url,
            "SELECT count(*), count(DISTINCT inbox_sequence), max(inbox_sequence) FROM event"
            f" WHERE workspace_id = {workspace_pk} AND inbox_sequence IS NOT NULL",
        )
    )[0]
    result = {
        "acknowledged": len(ok),
        "stored": len(stored),
        "acknowledged_missing": missing,
        "acknowledged_stored_twice": doubled,
        "stored_in_another_conversation": elsewhere,
        "senders": len(senders),
        "contacts": contacts,
        "conversations": len(conversations),
        "senders_over_two_conversations": sum(1 for ids in conversation_ids_of.values() if len(ids) > 1),
        "unassigned": sum(1 for a in assignees if a is None),
        "answers_naming_another_assignee": sum(
            1 for a in ok if a.assignee_id is None or shares.get(pk(a.assignee_id, "User")) is None
        ),
        "share_min_max": [min(share_counts), max(share_counts)],
        "rotation_breaks": rotation_breaks(assignees, agents),
        "events": events,
        "stream": {"events": stream_events, "distinct": distinct_sequences, "last": last_sequence},
    }
    if missing or doubled or elsewhere or len(stored) != len(ok):
        failures.append(
            f"messages: {len(ok)} acknowledged, {len(stored)} stored, {missing} missing, "
            f"{doubled} twice, {elsewhere} in another conversation"
        )
    if (
        contacts != len(senders)
        or len(conversations) != len(senders)
        or result["senders_over_two_conversations"]
    ):
        failures.append(f"{len(senders)} senders: {contacts} contacts, {len(conversations)} conversations")
    if (
        result["unassigned"]
        or result["answers_naming_another_assignee"]
        or sum(share_counts) != len(assignees)
    ):
        failures.append(f"assignment: {result['unassigned']} unassigned, shares {share_counts}")
    if result["rotation_breaks"] or max(share_counts) - min(share_counts) > 1:
        failures.append(f"not round robin: {result['rotation_breaks']} breaks, shares {share_counts}")
    if events.get("conversation.created") != len(conversations) or events.get("message.created") != len(
        stored
    ):
        failures.append(f"log events {events} for {len(conversations)} conversations, {len(stored)} messages")
    if not (stream_events == distinct_sequences == last_sequence):
        failures.append(f"inbox stream not gap-free: {result['stream']}")
    return result, failures


async def run_backend(backend: str, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    failures: list[str] = []
    async with cluster(servers=1, backend=backend, name="revgraph_bench_intake") as cl:
        server = cl.servers[0]
        api = Api(server.url)
        try:
            inbox = await seed_inbox(api, args.agents)
        finally:
            await api.aclose()
        measured, answers = await throughput(server, cl.worker, inbox, args.clients, args.seconds)
        print(f"[{backend}] throughput: {measured}", file=sys.stderr, flush=True)
        if measured["errors"]:
            failures.append(f"{measured['errors']} failed intakes: {measured['first_errors']}")
        checked, failed = await check_intake(cl.database_url, inbox, answers)
        print(f"[{backend}] checks: {checked}", file=sys.stderr, flush=True)
        failures += failed
        result: dict[str, Any] = {"throughput": {**measured, **checked}}
        if not args.skip_latency:
            result["commit_to_receipt"], failed = await commit_to_receipt(server, inbox, args)
            failures += failed
    return result, [f"{backend}: {failure}" for failure in failures]


async def main(args: argparse.Namespace) -> int:
    results = {"agents": args.agents, "clients": args.clients, "returning_share": RETURNING_SHARE}
    return await run_backends("inbox_intake", args, run_backend, results, args.json)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=10, help="latency: messages per second")
    parser.add_argument("--latency-messages", type=int, default=150)
    parser.add_argument("--skip-latency", action="store_true", help="throughput and its checks only")
    parser.add_argument("--json", help="write the results here (default: bench/results/)")
    args = parser.parse_args()
    sys.exit(run(lambda: main(args), limit_seconds=600))
