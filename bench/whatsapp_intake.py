"""WhatsApp webhook intake measured: signed Cloud API deliveries to
`POST /webhooks/whatsapp`, on both backends, and the time from the webhook
request to the assignee's `inboxEvents` receipt.

    python bench/whatsapp_intake.py [--backend sqlite postgres] [--agents 10] [--clients 8]
                                    [--seconds 10] [--rate 10] [--latency-messages 100] [--json out.json]

Per backend, a production-shaped server (distribution_common.cluster: a
fresh SQLite file in embedded mode, tasks in the server process; or a fresh
PostgreSQL database, Redis under its own prefix and one `revgraph worker`).
Seeded through the API: a workspace, `--agents` agents in an OFFLINE
ROUND_ROBIN queue, a WhatsApp inbox connected to a phoneNumberId (its app
secret signs the deliveries) and routed through the queue.

1. Throughput: `--clients` clients post deliveries one after another's
   answer for `--seconds`, each one text message (Meta's JSON, signed with
   X-Hub-Signature-256), 70 % from a new wa_id, 30 % from one seen before.
   Reported: answered deliveries/s (signature checked and stored: what the
   API spends per webhook), and worked messages/s (from the first post to
   the last message stored by the task). Checked in SQL: every answered
   wamid stored exactly once, every stored delivery worked.
2. Request -> receipt: every agent subscribed to `inboxEvents`; deliveries
   posted at `--rate` a second on a fixed schedule; for each, the time from
   the webhook request to its assignee's receipt of MESSAGE_CREATED (the
   event's message.externalId is the wamid); none lost or doubled.

Exit status 1 if any check fails. Results also go to bench/results/."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from distribution_common import (
    Api,
    cluster,
    create_queue,
    messages,
    run,
    run_backends,
    seed_workspace,
    spread,
    stop_listening,
    subscription,
)
from inbox_intake import rows

APP_SECRET = "bench0123456789abcdef0123456789ab"
PHONE_NUMBER_ID = "106540352242922"
RETURNING_SHARE = 0.3
CREATE_INBOX = """
mutation($input: InboxInput!) { createInbox(input: $input) { inbox { id } userErrors { code message field } } }
"""
INBOX_SEQUENCE = "query { inboxSequence }"
EVENTS = "subscription {{ inboxEvents(since: {since}) {{ sequence kind message {{ externalId }} }} }}"


def delivery(wa_id: str, wamid: str) -> bytes:
    """One Cloud API `messages` delivery carrying one text, as Meta sends it."""
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            "contacts": [{"profile": {"name": f"Cliente {wa_id[-4:]}"}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {
                                        "body": "Oi! O apartamento da Rua Harmonia ainda está disponível?"
                                    },
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(payload).encode()


async def post(api: Api, wa_id: str, wamid: str) -> tuple[float, float, int]:
    """(sent at, seconds to the answer, HTTP status) of one signed delivery."""
    body = delivery(wa_id, wamid)
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "x-hub-signature-256": signature}
    sent = time.perf_counter()
    try:
        answer = await api.http.post("/webhooks/whatsapp", content=body, headers=headers)
        status = answer.status_code
    except Exception:
        status = 0
    return sent, time.perf_counter() - sent, status


async def seed(api: Api, agents: int) -> Any:
    workspace = await seed_workspace(api, agents=agents, log_in_agents=True)
    queue_id = await create_queue(api, workspace, name="Roleta WhatsApp", strategy="ROUND_ROBIN")
    settings = {
        "phoneNumberId": PHONE_NUMBER_ID,
        "accessToken": "EAAGbenchmarktoken0123456789",
        "appSecret": APP_SECRET,
        "verifyToken": "bench-verify-token",
    }
    data = await api.ok(
        CREATE_INBOX,
        {
            "input": {
                "name": "WhatsApp Vendas",
                "channel": "WHATSAPP",
                "queueId": queue_id,
                "settings": settings,
            }
        },
        token=workspace.admin.token,
    )
    assert data["createInbox"]["userErrors"] == [], data
    return workspace


def wa_id_of(n: int) -> str:
    return f"55119{n:08d}"


async def throughput(
    server: Any, database_url: str, clients: int, seconds: float
) -> tuple[dict[str, Any], list[str]]:
    rng = random.Random(7)
    api = Api(server.url, connections=clients)
    known: list[int] = []
    fresh = iter(range(10**7))
    answered: list[tuple[str, float, int]] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            sender = rng.choice(known) if known and rng.random() < RETURNING_SHARE else next(fresh)
            wamid = f"wamid.bench.{uuid.uuid4().hex}"
            _, took, status = await post(api, wa_id_of(sender), wamid)
            answered.append((wamid, took, status))
            if status == 200 and sender not in known:
                known.append(sender)

    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    try:
        await asyncio.gather(*(client() for _ in range(clients)))
    finally:
        await api.aclose()
    posting = time.perf_counter() - started
    server_cpu = server.cpu_seconds() - cpu_before
    ok = [w for w, _, status in answered if status == 200]
    # The work after the 200: wait until every delivery was worked.
    while (await rows(database_url, "SELECT count(*) FROM inbound_webhook WHERE processed_at IS NULL"))[0][0]:
        if time.perf_counter() - started > seconds + 90:
            break
        await asyncio.sleep(0.1)
    worked = time.perf_counter() - started
    stored = await rows(
        database_url,
        "SELECT external_id, count(*) FROM message WHERE direction = 'INBOUND' GROUP BY external_id",
    )
    counts = dict(stored)
    pending = (await rows(database_url, "SELECT count(*) FROM inbound_webhook WHERE processed_at IS NULL"))[
        0
    ][0]
    result = {
        "clients": clients,
        "seconds": round(posting, 2),
        "deliveries": len(answered),
        "answered_200": len(ok),
        "deliveries_per_s": round(len(ok) / posting, 1),
        "answer_latency": spread([took for _, took, status in answered if status == 200]),
        "server_cpu_ms_per_delivery": round(server_cpu * 1e3 / max(len(answered), 1), 2),
        "worked_messages_per_s": round(len(ok) / worked, 1),
        "all_worked_after_s": round(worked, 2),
        "stored_once": sum(1 for w in ok if counts.get(w) == 1),
        "deliveries_unworked": pending,
    }
    failures = []
    if len(ok) != len(answered):
        failures.append(f"{len(answered) - len(ok)} deliveries not answered 200")
    if result["stored_once"] != len(ok) or len(counts) != len(ok) or pending:
        failures.append(
            f"{len(ok)} answered, {result['stored_once']} stored once, {len(counts)} stored, {pending} unworked"
        )
    return result, failures


async def request_to_receipt(
    server: Any, workspace: Any, rate: float, count: int
) -> tuple[dict[str, Any], list[str]]:
    api = Api(server.url, connections=32)
    receipts: dict[str, list[tuple[float, int]]] = defaultdict(list)
    try:
        since = (await api.ok(INBOX_SEQUENCE, token=workspace.admin.token))["inboxSequence"]
        async with contextlib.AsyncExitStack() as stack:
            sockets = [
                await stack.enter_async_context(
                    subscription(server.ws_url, agent.token, EVENTS.format(since=since))
                )
                for agent in workspace.agents
            ]

            async def listen(index: int, ws: Any) -> None:
                async for arrived, payload in messages(ws):
                    event = payload["data"]["inboxEvents"]
                    if event["kind"] == "MESSAGE_CREATED" and event["message"]:
                        receipts[event["message"]["externalId"]].append((arrived, index))

            listeners = [asyncio.create_task(listen(i, ws)) for i, ws in enumerate(sockets)]
            try:
                start = time.perf_counter() + 0.2
                plan = [
                    (start + i / rate, wa_id_of(9_000_000 + i % 40), f"wamid.latency.{i}")
                    for i in range(count)
                ]

                async def scheduled(at: float, wa_id: str, wamid: str) -> tuple[str, float, int]:
                    await asyncio.sleep(max(0.0, at - time.perf_counter()))
                    sent, _, status = await post(api, wa_id, wamid)
                    return wamid, sent, status

                sent = await asyncio.gather(*(scheduled(*row) for row in plan))
                deadline = time.perf_counter() + 15
                while time.perf_counter() < deadline:
                    if all(receipts.get(w) for w, _, _ in sent):
                        break
                    await asyncio.sleep(0.05)
            finally:
                await stop_listening(listeners)
    finally:
        await api.aclose()
    delays = [receipts[w][0][0] - at for w, at, _ in sent if receipts.get(w)]
    lost = sum(1 for w, _, _ in sent if not receipts.get(w))
    doubled = sum(1 for w, _, _ in sent if len(receipts.get(w, [])) > 1)
    refused = sum(1 for _, _, status in sent if status != 200)
    result = {
        "rate_per_s": rate,
        "deliveries": count,
        "request_to_receipt": spread(delays),
        "lost": lost,
        "doubled": doubled,
        "refused": refused,
        "subscribers": len(workspace.agents),
    }
    failures = [f"request -> receipt: {result[k]} {k}" for k in ("lost", "doubled", "refused") if result[k]]
    return result, failures


async def run_backend(backend: str, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    async with cluster(servers=1, backend=backend, name="revgraph_bench_whatsapp") as cl:
        server = cl.servers[0]
        api = Api(server.url)
        try:
            workspace = await seed(api, args.agents)
        finally:
            await api.aclose()
        measured, failures = await throughput(server, cl.database_url, args.clients, args.seconds)
        print(f"[{backend}] throughput: {measured}", file=sys.stderr, flush=True)
        latency, failed = await request_to_receipt(server, workspace, args.rate, args.latency_messages)
        print(f"[{backend}] request -> receipt: {latency}", file=sys.stderr, flush=True)
    return {"throughput": measured, "request_to_receipt": latency}, [
        f"{backend}: {f}" for f in failures + failed
    ]


async def main(args: argparse.Namespace) -> int:
    results = {"agents": args.agents, "clients": args.clients}
    return await run_backends("whatsapp_intake", args, run_backend, results, args.json)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=10, help="request -> receipt: deliveries per second")
    parser.add_argument("--latency-messages", type=int, default=100)
    parser.add_argument("--json", help="write the results here (default: bench/results/)")
    args = parser.parse_args()
    sys.exit(run(lambda: main(args), limit_seconds=170))
