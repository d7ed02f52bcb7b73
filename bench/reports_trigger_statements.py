"""What migration 0036's triggers add to a move's SQL on SQLite, where they
run inside the server's process: on a copy of the 100,000-deal build
(bench/reports.py's cache), the statements of a move that fire them, in a
transaction rolled back, CPU of this process per move, with the triggers
and without them (dropped), rounds alternating.

- open move: the deal's stage changes (UPDATE deal: 0033's stage_current
  trigger; 0036's deal trigger's WHEN is false) and its new entry is
  inserted (0033's rollup trigger; 0036's insert trigger copies the deal's
  reason, cents and currency onto it);
- move into LOST: the same with the loss reason set on the deal (0036's
  deal trigger rewrites every entry of the deal).

And migration 0035's (contact_hand_off) on an owner change (UPDATE deal
SET owner_id: the contact's pairs computed again), with and without them.

A whole moveDeal costs the server ~9–17 ms of CPU on this machine (earlier
sections), so these are that figure's added part.

    python bench/reports_trigger_statements.py --db copy.sqlite3 [--moves 500] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sqlite3
import statistics
import time
from types import SimpleNamespace

CLOSED = importlib.import_module("revgraph.models.migrations.0036_entry_closed_figures")
COPIES = importlib.import_module("revgraph.models.migrations.0039_entry_copies_once")
ROLLUPS = importlib.import_module("revgraph.models.migrations.0033_stay_buckets")
HAND_OFF = importlib.import_module("revgraph.models.migrations.0035_contact_hand_off")


class Client:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.capabilities = SimpleNamespace(dialect="sqlite")

    async def execute_script(self, sql: str) -> None:
        self.conn.executescript(sql)


def moves(
    conn: sqlite3.Connection, deals: list[tuple], stages: tuple[int, int], into_lost: bool, first_id: int
) -> float:
    """CPU ms per move over `deals`, each in a transaction rolled back."""
    open_stage, lost_stage = stages
    started = time.process_time()
    for offset, (deal_id, workspace_id, pipeline_id, owner_id) in enumerate(deals):
        conn.execute("BEGIN")
        target = lost_stage if into_lost else open_stage
        if into_lost:
            conn.execute(
                "UPDATE deal SET stage_id = ?, lost_reason = ? WHERE id = ?", (target, "Preço", deal_id)
            )
        else:
            conn.execute("UPDATE deal SET stage_id = ? WHERE id = ?", (target, deal_id))
        conn.execute(
            "INSERT INTO deal_stage_entry (id, workspace_id, deal_id, pipeline_id, stage_id, entered_at, "
            "reached_higher, prev_same_at, owner_id, deleted_at, entered_day, prev_day) "
            "VALUES (?, ?, ?, ?, ?, '2026-12-06 22:00:00+00:00', 0, NULL, ?, NULL, '2026-12-06', NULL)",
            (first_id + offset, workspace_id, deal_id, pipeline_id, target, owner_id),
        )
        conn.execute("ROLLBACK")
    return (time.process_time() - started) * 1e3 / len(deals)


def owner_changes(conn: sqlite3.Connection, deals: list[tuple], owners: list[int]) -> float:
    """CPU ms per owner change (UPDATE deal SET owner_id: 0028's, 0033's and
    0035's triggers), each in a transaction rolled back."""
    started = time.process_time()
    for deal_id, _, _, owner_id in deals:
        conn.execute("BEGIN")
        other = next(o for o in owners if o != owner_id)
        conn.execute("UPDATE deal SET owner_id = ? WHERE id = ?", (other, deal_id))
        conn.execute("ROLLBACK")
    return (time.process_time() - started) * 1e3 / len(deals)


async def hand_off_triggers(client: SimpleNamespace, present: bool) -> None:
    for table, made in HAND_OFF.triggers("sqlite").items():
        await ROLLUPS._drop(client.client, table, made)
        if present:
            await ROLLUPS._create(client.client, "sqlite", table, made)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", required=True, help="a copy of a build (it is changed: triggers dropped, made)"
    )
    parser.add_argument("--moves", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    conn = sqlite3.connect(args.db, isolation_level=None)
    client = SimpleNamespace(client=Client(conn))
    pipeline_id = conn.execute("SELECT MIN(id) FROM pipeline").fetchone()[0]
    open_stage = conn.execute(
        "SELECT id FROM stage WHERE pipeline_id = ? AND kind = 'OPEN' ORDER BY position LIMIT 1",
        (pipeline_id,),
    ).fetchone()[0]
    lost_stage = conn.execute(
        "SELECT id FROM stage WHERE pipeline_id = ? AND kind = 'LOST'", (pipeline_id,)
    ).fetchone()[0]
    deals = conn.execute(
        "SELECT id, workspace_id, pipeline_id, owner_id FROM deal WHERE pipeline_id = ? AND stage_id <> ? "
        "AND lost_reason IS NULL AND deleted_at IS NULL ORDER BY id LIMIT ?",
        (pipeline_id, lost_stage, args.moves),
    ).fetchall()
    first_id = conn.execute("SELECT MAX(id) FROM deal_stage_entry").fetchone()[0] + 1
    listed = ",".join(str(d[0]) for d in deals)
    entries = conn.execute(
        f"SELECT AVG(n) FROM (SELECT COUNT(*) AS n FROM deal_stage_entry WHERE deal_id IN ({listed}) GROUP BY deal_id)"
    ).fetchone()[0]
    print(
        f"load average {os.getloadavg()[0]:.2f}; {len(deals)} deals, {entries:.1f} entries each", flush=True
    )
    found: dict[tuple[str, bool], list[float]] = {}
    for number in range(args.rounds * 2):
        present = number % 2 == 0
        asyncio.run(CLOSED.drop_triggers(None, client))
        if present:
            asyncio.run(CLOSED.create_triggers(None, client))
            asyncio.run(COPIES.copy_when_lacking(None, client))
        for kind, into_lost in (("open move", False), ("move into LOST", True)):
            found.setdefault((kind, present), []).append(
                moves(conn, deals, (open_stage, lost_stage), into_lost, first_id)
            )
    asyncio.run(CLOSED.drop_triggers(None, client))
    asyncio.run(CLOSED.create_triggers(None, client))
    asyncio.run(COPIES.copy_when_lacking(None, client))
    owners = [row[0] for row in conn.execute("SELECT id FROM app_user ORDER BY id LIMIT 5")]
    for number in range(args.rounds * 2):
        present = number % 2 == 0
        asyncio.run(hand_off_triggers(client, present))
        found.setdefault(("owner change", present), []).append(owner_changes(conn, deals, owners))
    asyncio.run(hand_off_triggers(client, True))
    print("  (0036's triggers below for the moves; 0035's for the owner change)", flush=True)
    for kind in ("open move", "move into LOST", "owner change"):
        with_ = statistics.median(found[kind, True])
        without = statistics.median(found[kind, False])
        print(
            f"  {kind:15s} with the triggers {with_:.3f} ms CPU, without {without:.3f} ms "
            f"(+{with_ - without:.3f} ms); rounds {[round(v, 3) for v in found[kind, True]]} / "
            f"{[round(v, 3) for v in found[kind, False]]}",
            flush=True,
        )


if __name__ == "__main__":
    main()
