"""Live board fan-out, measured: 1,000 websocket subscribers of one pipeline
spread over two `revgraph serve` processes sharing PostgreSQL and Redis.

STACK.md measured ~0.17 ms of server CPU per subscriber per event (each
subscriber ran its own selection set): 1,000 subscribers on one process
took 180 ms p99. The goal here: p99 < 100 ms from commit to receipt for
1,000 subscribers over two processes, which needs each distinct (selection
set, visibility scope) executed once per event and shared by its group.

The driver (this process):
1. creates the database `revgraph_bench_board` and a Redis key prefix of
   its own, starts two servers on them and seeds through server 1 an
   8 × 50 board whose cards belong to the admin and 10 agents;
2. for each run (1,000 admins; then 900 admins + 100 agents, 10 per agent:
   11 visibility scopes) starts two client processes, 500 graphql-transport-ws
   subscribers each, client k on server k, all subscribed to
   boardEvents(since: boardSequence) with the same selection set;
3. once every socket subscribed, makes one warm-up move per card owner
   and waits until every subscriber received its warm-up events (so every
   subscription is live), measures the servers' idle CPU for a few seconds,
   then sends 50 moves, one every ~200 ms, through each server in turn
   (`--writes first`: all through server 1, as until 2026-12-07);
4. collects every receipt (fanout_common.py, shared with inbox_fanout.py). Commit → receipt = receipt time − the moment
   the driver's own Redis subscriber saw the event's publish (the server
   publishes as soon as COMMIT returned, so that is commit + one Redis
   hop). Also reported: against the event's `at` (stamped when the row is
   written, before the rest of the transaction and the commit: an upper
   bound) and against the moment the driver had the mutation's HTTP
   response (after commit, publish and the outbox flag). It checks that every subscriber got exactly its events, in
   sequence order, none missing or twice; server CPU per event from
   /proc/<pid>/stat of both servers over the 50 moves, gross and net of
   the idle rate (keep-alive pings).

Clients, servers, PostgreSQL and Redis share the same 2 cores: receipt
times include the client processes' own queueing (500 sockets per process).

    python bench/fanout.py [--subscribers 1000] [--moves 50] [--spacing 0.2]
"""

from __future__ import annotations

import random
from typing import Any

BOARD_EVENTS = """
subscription Board($pipelineId: ID!, $since: Int) {
  boardEvents(pipelineId: $pipelineId, since: $since) {
    sequence kind dealId fromStageId toStageId afterDealId at
    deal { id title value stage { id } owner { name } }
  }
}
"""


async def seed(api: Any, workspace: Any) -> tuple[dict[str, Any], str]:
    from board_common import seed_board

    board = await seed_board(api, workspace, stages=8, cards_per_stage=50)
    seeded = {"board": board, "owner_of": {deal: owner for deal, (owner, _) in board.deals.items()}}
    return seeded, f"8 × 50 cards over the admin and {len(workspace.agents)} agents"


async def plan(api: Any, workspace: Any, seeded: dict[str, Any], rng: random.Random, args: Any) -> Any:
    from board_common import MOVE_DEAL
    from fanout_common import Plan, Stream

    board, owner_of = seeded["board"], seeded["owner_of"]
    admin = workspace.admin
    since = (
        await api.ok(
            "query($id: ID!) { pipeline(id: $id) { boardSequence } }", {"id": board.pipeline_id}, admin.token
        )
    )["pipeline"]["boardSequence"]
    # The plan, sequences included: this driver is the board's only writer.
    by_owner: dict[str, list[str]] = {}
    for deal, owner in owner_of.items():
        by_owner.setdefault(owner, []).append(deal)
    warm_deals = [rng.choice(by_owner[p.id]) for p in workspace.owners]
    measured_deals = [rng.choice(list(owner_of)) for _ in range(args.events)]

    def move(deal: str) -> Any:
        async def act() -> None:
            stage = rng.choice(board.stage_ids)
            await api.ok(MOVE_DEAL, {"input": {"dealId": deal, "stageId": stage}}, admin.token)

        return act

    return Plan(
        Stream(
            BOARD_EVENTS, "boardEvents", {"pipelineId": board.pipeline_id, "since": since}, "board_sequence"
        ),
        since,
        [move(d) for d in warm_deals],
        [move(d) for d in measured_deals],
        [owner_of[d] for d in [*warm_deals, *measured_deals]],
    )


if __name__ == "__main__":
    from board_common import PG_DATABASE
    from fanout_common import main

    main("board fan-out", PG_DATABASE, seed, plan, "moveDeal", "--moves", "measured moves")
