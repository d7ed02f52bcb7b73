"""`moveDeal` under contention, measured and checked, on PostgreSQL.

A fresh database `revgraph_bench_board` (dropped at the end), one
`revgraph serve` pinned to core 0, a pipeline of 8 gate-free stages × 50
cards seeded through the API. Then 20 concurrent clients (core 1) move
random cards to random stages — at the top of the column or right after a
card they believe is there — until ~2,000 moves were answered: moves/s,
p50/p99/max and the server's CPU per move.

All the moves contend for one pipeline lock (the board sequence), so this
is the worst case: one busy board. Afterwards the board must agree with its
own log:

- boardSequence = the number of board events = seeded + accepted moves,
  and the sequences are exactly 1..boardSequence;
- replaying the MOVED events (toStageId, afterDealId) from the board as it
  was before the run gives every column's card order exactly as the board
  query returns it, and each stage's dealCount is its column's length.

    python bench/move_deal.py [--moves 2000] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from typing import Any
from urllib.parse import urlparse

import httpx
from board_common import (
    MOVE_DEAL,
    Api,
    database,
    exit_cleanly_on_sigterm,
    machine,
    pin_self,
    seed_board,
    seed_workspace,
    server_env,
    serving,
    spread,
    today,
)

from revgraph.resolvers.ids import encode_id

COLUMN = """
query Column($id: ID!, $after: String) {
  node(id: $id) {
    ... on Stage { id dealCount deals(first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }
  }
}
"""
SEQUENCE = "query($id: ID!) { pipeline(id: $id) { boardSequence } }"


async def read_columns(
    api: Api, token: str, stage_ids: list[str]
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Every column in card order (all pages), and each stage's dealCount."""
    columns: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for stage_id in stage_ids:
        cards: list[str] = []
        after = None
        while True:
            stage = (await api.ok(COLUMN, {"id": stage_id, "after": after}, token))["node"]
            counts[stage_id] = stage["dealCount"]
            cards += [edge["node"]["id"] for edge in stage["deals"]["edges"]]
            if not stage["deals"]["pageInfo"]["hasNextPage"]:
                break
            after = stage["deals"]["pageInfo"]["endCursor"]
        columns[stage_id] = cards
    return columns, counts


async def board_log(database_url: str, pipeline_id: int) -> list[dict[str, Any]]:
    """The pipeline's board events, straight from the event table."""
    import asyncpg

    parsed = urlparse(database_url)
    conn = await asyncpg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.path.lstrip("/"),
    )
    try:
        rows = await conn.fetch(
            "SELECT board_sequence, kind, deal_id, data FROM event "
            "WHERE pipeline_id = $1 AND board_sequence IS NOT NULL ORDER BY board_sequence, id",
            pipeline_id,
        )
    finally:
        await conn.close()
    return [
        {
            "sequence": r["board_sequence"],
            "kind": r["kind"],
            "deal_id": r["deal_id"],
            "data": json.loads(r["data"]) if isinstance(r["data"], str) else r["data"],
        }
        for r in rows
    ]


def replay(columns: dict[str, list[str]], events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Apply MOVED events to a copy of the columns, as a board client would."""
    result = {stage: list(cards) for stage, cards in columns.items()}
    for event in events:
        if event["kind"] not in ("deal.stage_changed", "deal.reordered"):
            raise RuntimeError(f"unexpected board event {event['kind']} during the run")
        deal = encode_id("Deal", event["deal_id"])
        for cards in result.values():
            if deal in cards:
                cards.remove(deal)
        target = result[encode_id("Stage", event["data"]["toStageId"])]
        after = event["data"].get("afterDealId")
        target.insert(0 if after is None else target.index(encode_id("Deal", after)) + 1, deal)
    return result


async def move_load(
    url: str,
    token: str,
    columns: dict[str, list[str]],
    moves: int,
    clients: int,
    seed: int,
    rate: float | None = None,
) -> dict[str, Any]:
    """`clients` concurrent clients moving random cards until `moves` answered.
    Each client keeps its own (possibly stale) idea of the board: a move
    placed after a card that meanwhile left the column is refused with
    NOT_FOUND, which is the API working, and is counted apart.

    With `rate`, the moves are offered at that many per second (move i is
    due at i / rate s after the start; a client sends the next due move,
    waiting for its time) instead of back to back: the latency of a server
    below saturation, not of a queue kept full. A move's latency then runs
    from when it was due, so one sent late because all the clients were
    busy counts its wait too (no coordinated omission)."""
    rng = random.Random(seed)
    model = {stage: list(cards) for stage, cards in columns.items()}
    where = {deal: stage for stage, cards in model.items() for deal in cards}
    stage_ids = list(model)
    latencies: list[float] = []
    outcome = {"accepted": 0, "refused": 0, "errors": 0}
    remaining = moves
    issued = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

        async def client() -> None:
            nonlocal remaining, issued
            while remaining > 0:
                remaining -= 1
                due = None
                if rate:
                    due = began + issued / rate
                    issued += 1
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                deal = rng.choice(list(where))
                target = rng.choice(stage_ids)
                candidates = [d for d in model[target] if d != deal]
                after = rng.choice(candidates) if candidates and rng.random() < 0.5 else None
                move = {"dealId": deal, "stageId": target, "afterDealId": after}
                started = time.perf_counter()
                response = await http.post(
                    "/graphql", json={"query": MOVE_DEAL, "variables": {"input": move}}, headers=headers
                )
                latencies.append(time.perf_counter() - (started if due is None else due))
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    outcome["errors"] += 1
                    continue
                payload = body["data"]["moveDeal"]
                if payload["userErrors"]:
                    outcome["refused"] += 1
                    continue
                outcome["accepted"] += 1
                model[where[deal]].remove(deal)
                column = model[target]
                column.insert(column.index(after) + 1 if after in column else 0, deal)
                where[deal] = target

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return {
        **spread(latencies),
        **outcome,
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1),
        # each move's, in seconds: for a p99 over several rounds' moves
        # (report_poll.py pops it before printing)
        "latencies": latencies,
    }


async def main(args: argparse.Namespace) -> None:
    from revgraph.resolvers.ids import pk_of

    print(f"moveDeal — {today()}, {machine()}")
    print(f"  PostgreSQL, one server process on core 0, {args.clients} clients (httpx) on core 1")
    async with database("postgres") as url:
        with serving(server_env(url), cpu=0) as server:
            api = Api(server)
            try:
                workspace = await seed_workspace(api, agents=3)
                board = await seed_board(api, workspace, stages=8, cards_per_stage=50)
                token = workspace.admin.token
                before, _ = await read_columns(api, token, board.stage_ids)
                start_sequence = board.sequence
                print(f"  seeded 8 × 50 cards, boardSequence {start_sequence}", flush=True)
                pin_self(1)
                cpu_before, load_before = server.cpu_seconds(), os.getloadavg()[0]
                result = await move_load(server.url, token, before, args.moves, args.clients, args.seed)
                del result["latencies"]
                cpu = server.cpu_seconds() - cpu_before
                result["server_cpu_ms_per_move"] = round(cpu / result["n"] * 1e3, 2)
                result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
                print(
                    f"  {result['n']} moves in {result['seconds']} s: {result['rps']} moves/s, "
                    f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms; "
                    f"{result['accepted']} accepted, {result['refused']} refused (stale afterDealId), "
                    f"{result['errors']} errors; server CPU {result['server_cpu_ms_per_move']} ms/move; "
                    f"load average {result['load_average']}",
                    flush=True,
                )
                sequence = (await api.ok(SEQUENCE, {"id": board.pipeline_id}, token))["pipeline"][
                    "boardSequence"
                ]
                after, counts = await read_columns(api, token, board.stage_ids)
            finally:
                await api.aclose()
        log = await board_log(url, pk_of(board.pipeline_id, "Pipeline") or 0)
    problems = []
    sequences = [e["sequence"] for e in log]
    if sequences != list(range(1, sequence + 1)):
        problems.append(f"board sequences are not exactly 1..{sequence} ({len(sequences)} events)")
    if sequence != start_sequence + result["accepted"]:
        problems.append(f"boardSequence {sequence} != {start_sequence} + {result['accepted']} accepted moves")
    try:
        replayed = replay(before, [e for e in log if e["sequence"] > start_sequence])
    except ValueError:  # an afterDealId that was not in its column
        replayed = None
    if replayed != after:
        problems.append("replaying the MOVED events does not give the board's card order")
    if any(counts[stage] != len(cards) for stage, cards in after.items()):
        problems.append("a stage's dealCount differs from its column")
    if sum(len(cards) for cards in after.values()) != len(board.deals):
        problems.append("cards were lost or duplicated")
    if result["errors"]:
        problems.append(f"{result['errors']} moves failed with errors")
    print(
        f"  after the run: boardSequence {sequence} = {len(log)} board events "
        f"= {start_sequence} seeded + {result['accepted']} moves; "
        f"replayed card order {'matches' if not problems else 'CHECK FAILED'} all 8 columns"
    )
    if problems:
        raise SystemExit("INCONSISTENT: " + "; ".join(problems))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="moveDeal throughput benchmark (PostgreSQL)")
    parser.add_argument("--moves", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=5)
    exit_cleanly_on_sigterm()
    asyncio.run(main(parser.parse_args()))
