"""What a regional manager's leadReport(by: OWNER) over a year costs in its
one grouped statement, with the contacts handed to the scope read from
contact_hand_off (visibility.contact_q, migration 0035) against the same
count through every live deal of the scope (the condition before 0035),
in-process on a copy of the SQLite workspace `bench/reports.py` built.

The generated workspace has no hand-offs (every deal is owned by its
contact's owner), so with `--hand-over N` every N-th deal is first given to
another owner than its contact's (one UPDATE; the triggers keep the rows),
then ANALYZE. Both conditions must count the same contacts per owner on
every run. CPU of this process (SQLite runs in it) and wall, p50 of --runs.

    python bench/reports_hand_offs.py [--hand-over 10] [--runs 9]"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harness import Timings  # noqa: E402


async def measure(url: str, hand_over: int, runs: int) -> None:
    from tortoise import Tortoise, connections
    from tortoise.expressions import Q, Subquery
    from tortoise.functions import Count

    from revgraph.models.crm import Contact
    from revgraph.models.identity import Team, User, Workspace
    from revgraph.models.pipeline import ContactHandOff, Deal
    from revgraph.resolvers.database import open_database
    from revgraph.resolvers.settings import Settings
    from revgraph.resolvers.visibility import compute_scope, contact_q

    await open_database(Settings(database_url=url, secret_key="unused"), migrate=False)
    try:
        workspace = await Workspace.all().order_by("id").first()
        users = sorted(await User.filter(workspace_id=workspace.id).values_list("id", flat=True))
        client = connections.get("default")
        if hand_over:
            # To the user half the workspace further on (ids are
            # consecutive): never the contact's owner, often another team.
            assert users == list(range(users[0], users[0] + len(users))), users
            started = time.perf_counter()
            await client.execute_script(
                f"UPDATE deal SET owner_id = {users[0]} + (owner_id - {users[0]} + {len(users) // 2}) "
                f"% {len(users)} WHERE id % {hand_over} = 0 AND owner_id IS NOT NULL"
            )
            await client.execute_script("ANALYZE")
            print(
                f"every {hand_over}th deal handed over in {time.perf_counter() - started:.1f} s", flush=True
            )
        regional = (
            await Team.filter(workspace_id=workspace.id, parent_id__isnull=False).order_by("id").first()
        )
        scope = await compute_scope(workspace.id, regional.manager_id, "MANAGER")
        owners = list(scope.owner_ids or ())
        before = Q(workspace_id=workspace.id) & (
            Q(owner_id__in=owners)
            | Q(
                id__in=Subquery(
                    Deal.filter(workspace_id=workspace.id, owner_id__in=owners, deleted_at=None).values(
                        "contact_id"
                    )
                )
            )
        )
        rows = await ContactHandOff.filter(workspace_id=workspace.id, owner_id__in=owners).count()
        print(
            f"load average {os.getloadavg()[0]:.2f}; {regional.name}: {len(owners)} owners, "
            f"{rows} contact_hand_off rows of theirs",
            flush=True,
        )
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        timings = Timings()
        for run in range(runs):
            start, stop = end - timedelta(days=365, minutes=run), end - timedelta(minutes=run)
            found = {}
            for name, condition in (
                ("contact_hand_off (now)", contact_q(scope)),
                ("every deal (before)", before),
            ):
                query = (
                    Contact.filter(
                        condition, deleted_at__isnull=True, created_at__gte=start, created_at__lt=stop
                    )
                    .annotate(n=Count("id"))
                    .group_by("owner_id")
                    .values_list("owner_id", "n")
                )
                found[name] = sorted(await timings.timed(name, query))
            first, second = found.values()
            assert first == second, (first, second)
        contacts = sum(n for _, n in first)
        print(f"  {contacts} contacts in the range, {len(first)} owners; both agree in every run", flush=True)
        timings.print(24)
    finally:
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hand-over", type=int, default=0, help="hand every N-th deal over (0: none)")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    cache = BENCH / "results" / "reports-cache"
    newest = max(cache.glob("*.sqlite3"), key=lambda p: p.stat().st_mtime)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.sqlite3"
        shutil.copyfile(newest, copy)
        print(f"a copy of {newest.name}", flush=True)
        asyncio.run(measure(f"sqlite://{copy}", args.hand_over, args.runs))


if __name__ == "__main__":
    main()
