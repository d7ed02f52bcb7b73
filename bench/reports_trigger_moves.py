"""What the funnel's rollups add to one move's SQL, in this process: the
statements a move writes for them (the cohort facts, resolvers/
stage_entries.py; the triggers of migrations 0033/0036; the topics'
positions) against the same move without them, rounds alternating.

Per backend (a fresh SQLite file; a fresh PostgreSQL database), a board of
8 × 50 cards seeded through one `revgraph serve`, then in this process, per
move, in a transaction: the deal's UPDATE (its stage), and with the
rollups its transition and facts (`record_transition`) and the topics'
counters; without them, the transition alone (`insert_transition`, the
ORM's INSERT), only `log` moved, and the triggers on `deal`
that keep stage_current dropped (as bench/report_poll.py's
SERVE_WITHOUT_ROLLUPS). Reported per move: this process's CPU (on SQLite
the database's too), the PostgreSQL backend's CPU, and the statements sent.
The rest of a move (GraphQL, the event, the gates) is the same for both and
left out, so the difference is the rollups' cost in ms, not a share. On
PostgreSQL also each trigger function's time (track_functions).

Another build as a baseline (main's, from `git archive`): put a directory
holding `revgraph/{web,schema,resolvers,models,tasks}` links to its tree
first on PYTHONPATH (the seeding server inherits it).

    python bench/reports_trigger_moves.py [--backend sqlite postgres] [--moves 300] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from typing import Any

from board_common import (
    Api,
    cpu_seconds,
    database,
    exit_cleanly_on_sigterm,
    machine,
    pin_self,
    seed_board,
    seed_workspace,
    server_env,
    serving,
    today,
)
from report_poll import current_triggers


async def seed(env: dict[str, str]) -> None:
    with serving(env, health_timeout=300) as server:
        api = Api(server)
        workspace = await seed_workspace(api, agents=3, tag="moves")
        await seed_board(api, workspace, stages=8, cards_per_stage=50)
        await api.aclose()


async def no_facts(*_: Any) -> None:
    return None


METHODS = ("execute_query", "execute_insert", "execute_query_dict", "execute_many")


class Counting:
    """Counts the statements sent through a transaction's client (its
    class's methods wrapped while counting)."""

    def __init__(self, kind: type) -> None:
        self.sent = 0
        self.kind = kind
        self.originals = {name: kind.__dict__[name] for name in METHODS if name in kind.__dict__}
        for name in METHODS:
            original = getattr(kind, name)

            async def counted(client: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                self.sent += 1
                return await _original(client, *args, **kwargs)

            setattr(kind, name, counted)

    def restore(self) -> None:
        for name in METHODS:
            if name in self.originals:
                setattr(self.kind, name, self.originals[name])
            else:
                delattr(self.kind, name)


async def backend_pid(client: Any) -> int | None:
    if client.capabilities.dialect != "postgres":
        return None
    _, rows = await client.execute_query("SELECT pg_backend_pid()")
    return rows[0][0]


async def rounds(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from tortoise.transactions import in_transaction

    from revgraph.models.pipeline import Deal, Stage
    from revgraph.resolvers import deals as deals_module
    from revgraph.resolvers import log_position, stage_entries
    from revgraph.resolvers.context import Actor
    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings

    settings = Settings.from_env(
        {"REVGRAPH_DATABASE_URL": url, "REVGRAPH_SECRET_KEY": "bench", "REVGRAPH_DATABASE_POOL_SIZE": "1"}
    )
    env = {"REVGRAPH_DATABASE_URL": url}
    await open_database(settings, migrate=False)
    found: dict[str, list[dict[str, float]]] = {"with_rollups": [], "without_rollups": []}
    try:
        stages = await Stage.all().order_by("position")
        deal_ids = await Deal.all().values_list("id", flat=True)
        workspace_id = stages[0].workspace_id
        actor = Actor.system(workspace_id, "bench")
        # A build before record_transition (main's, as a baseline through
        # PYTHONPATH) wrote the transition with the ORM, then enter_stage.
        patched = "record_transition" if hasattr(deals_module, "record_transition") else "enter_stage"
        real = getattr(deals_module, patched)
        insert_transition = getattr(stage_entries, "insert_transition", None)
        rng = random.Random(7)
        for number in range(args.rounds * 2):
            with_rollups = number % 2 == 0
            await current_triggers(env, with_rollups)
            if not with_rollups:
                setattr(
                    deals_module, patched, insert_transition if patched == "record_transition" else no_facts
                )
            async with in_transaction() as held:
                pid = await backend_pid(held)
                if pid:
                    # Each trigger function's time (pg_stat_user_functions).
                    await held.execute_script("SET track_functions = 'pl'")
                kind = type(held)
            counting = Counting(kind)
            cpu, db_cpu = time.process_time(), cpu_seconds(pid) if pid else 0.0
            for _ in range(args.moves):
                async with in_transaction():
                    deal = await Deal.select_for_update().get(id=rng.choice(deal_ids))
                    target = rng.choice([s for s in stages if s.id != deal.stage_id])
                    from_stage_id = deal.stage_id
                    deal.stage_id = target.id
                    await deal.save()
                    await deals_module._transition(actor, deal, from_stage_id, target)
                    owners = {"owners": [deal.owner_id, deal.owner_id]}
                    topics = log_position.with_owned_topics({"deal_stages"}, owners) if with_rollups else ()
                    await log_position.advance({workspace_id: topics})
            moves = args.moves
            measured = {
                "cpu_ms_per_move": (time.process_time() - cpu) * 1e3 / moves,
                "db_cpu_ms_per_move": ((cpu_seconds(pid) - db_cpu) * 1e3 / moves) if pid else 0.0,
                "statements_per_move": counting.sent / moves,
            }
            setattr(deals_module, patched, real)
            counting.restore()
            variant = "with_rollups" if with_rollups else "without_rollups"
            found[variant].append(measured)
            print(f"    {variant}: { ({k: round(v, 3) for k, v in measured.items()}) }", flush=True)
        await current_triggers(env, True)
        if url.startswith("postgres"):
            await asyncio.sleep(1.5)  # the statistics are flushed at most once a second
            async with in_transaction() as held:
                _, rows = await held.execute_query(
                    "SELECT funcname, calls, round(total_time::numeric, 1), round(self_time::numeric, 1) "
                    "FROM pg_stat_user_functions ORDER BY total_time DESC"
                )
            moved = args.moves * args.rounds
            for name, calls, total, own in rows:
                print(
                    f"    {name}: {calls} calls, {float(total) * 1e3 / moved:.0f} us per move with the rollups "
                    f"(self {float(own) * 1e3 / moved:.0f} us)",
                    flush=True,
                )
    finally:
        await close_database()
    medians = {
        variant: {key: round(statistics.median(m[key] for m in measured), 3) for key in measured[0]}
        for variant, measured in found.items()
    }
    with_, without = medians["with_rollups"], medians["without_rollups"]
    medians["rollups_add"] = {key: round(with_[key] - without[key], 3) for key in with_}
    return medians


async def run(backend: str, args: argparse.Namespace) -> None:
    print(f"  {backend} (load average {os.getloadavg()[0]:.2f})", flush=True)
    async with database(backend, name="rgb_rollups_trigger_moves") as url:
        env = server_env(url)
        env["REVGRAPH_DATABASE_POOL_SIZE"] = "5"
        await seed(env)
        medians = await rounds(url, args)
    print(f"    medians: {medians} (load average {os.getloadavg()[0]:.2f})", flush=True)


async def main(args: argparse.Namespace) -> None:
    print(f"the rollups' statements per move — {today()}, {machine()}")
    for backend in args.backend:
        await run(backend, args)


if __name__ == "__main__":
    exit_cleanly_on_sigterm()
    pin_self(1)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backend", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=4)
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
