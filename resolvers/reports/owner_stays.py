"""The stays' median and p90 of a scope's funnel from its owners' parts
(resolvers/reports/owner_parts.py): a rank is not a sum, but the k-th
shortest stay of a scope is the k-th of the union of its owners' stays,
and the rank falls in one duration bucket (resolvers/reports/
stage_days.py `rank_in_bucket`, from the summed bucket counts). So each
part keeps, for the (stage, bucket) pairs a scope's rank fell in, its
owner's stays' seconds there in order, read once per part (after a move by
X, X's only), and the rank is found here by bisection over the value:
the least v with Σ over owners of (stays ≤ v) ≥ k.

Exact under the same rule as the parts: an owner's stays are read after
its part, then the owners' positions again; stays of an owner whose
position moved meanwhile, or whose count is not the part's, are not kept,
and those ranks are read in SQL for the scope as before (stage_days.py
`stay_stats`). A computation reads at most FILL_ROWS stays into parts
(the owners with fewest first); past it, the ranks still missing are
read in SQL, and later computations read the rest."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import defaultdict
from itertools import repeat
from typing import Any

from tortoise import connections
from tortoise.expressions import Q

from revgraph.models.pipeline import DealStageEntry
from revgraph.resolvers.log_position import NO_OWNER
from revgraph.resolvers.report_measures import DurationStats, ReportWindow
from revgraph.resolvers.reports.owner_parts import OwnerParts, ScopeParts, by_owner_index, owner_positions
from revgraph.resolvers.reports.raw_rows import Built, owner_led, placeholders, union_rows
from revgraph.resolvers.reports.stage_days import StageFigures, bucket_bounds, rank_in_bucket, stay_stats

ENTRIES = DealStageEntry._meta.db_table
# The most stays one computation reads into the parts.
FILL_ROWS = 5_000
# What the parts' budget counts per stay kept (8 bytes, in PART_UNIT_BYTES units of 256).
STAYS_PER_UNIT = 32
PERCENTS = (50, 90)


def nearest_rank(percent: int, count: int) -> int:
    """The nearest rank (report_measures.nearest_rank), from 1."""
    return max(1, -(-percent * count // 100))


def kth(arrays: list[array], k: int) -> int:
    """The k-th smallest (from 1) of the union of ascending `arrays`: the
    least value v with k values ≤ v, by bisection over the values."""
    arrays = [a for a in arrays if len(a)]
    lo, hi = min(a[0] for a in arrays), max(a[-1] for a in arrays)
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(map(bisect_right, arrays, repeat(mid))) >= k:
            hi = mid
        else:
            lo = mid + 1
    return lo


async def scope_stay_stats(
    store: OwnerParts,
    workspace_id: int,
    pipeline_id: int,
    what: tuple[Any, ...],
    held: ScopeParts,
    deals: Q,
    window: ReportWindow,
) -> dict[int, DurationStats]:
    """Per stage with stays: the scope's DurationStats (stage_days.py
    `stay_stats`), its ranks from the owners' kept stays (see the module).
    `deals` is the scope's condition on the facts, for ranks read in SQL."""
    figures = held.total.figures
    ranks: dict[tuple[int, int], tuple[int, int]] = {}
    for stage_id, summed in figures.items():
        if summed.stays:
            for percent in PERCENTS:
                ranks[stage_id, percent] = rank_in_bucket(summed.buckets, nearest_rank(percent, summed.stays))
    pairs = sorted({(stage_id, bucket) for (stage_id, _), (bucket, _) in ranks.items()})
    # Per pair, the owners with stays there, and how many.
    counts: dict[tuple[int, int], dict[int, int]] = {}
    for pair in pairs:
        stage_id, bucket = pair
        counts[pair] = {
            owner: count
            for owner, part in held.parts.items()
            if (count := part.figures.get(stage_id, StageFigures()).buckets.get(bucket, 0))
        }
    missing = sorted(
        (count, owner, pair)
        for pair, owners in counts.items()
        for owner, count in owners.items()
        if pair not in held.parts[owner].stays
    )
    planned: list[tuple[int, int, tuple[int, int]]] = []
    rows = 0
    for count, owner, pair in missing:
        if rows + count > FILL_ROWS:
            break
        planned.append((count, owner, pair))
        rows += count
    if planned:
        await _read_stays(store, workspace_id, pipeline_id, what, held, planned, window)
    found: dict[int, DurationStats] = {}
    in_sql: dict[int, StageFigures] = {}
    for stage_id, summed in figures.items():
        if not summed.stays:
            continue
        at: dict[int, int] = {}
        for percent in PERCENTS:
            bucket, k = ranks[stage_id, percent]
            pair = (stage_id, bucket)
            arrays = [held.parts[owner].stays.get(pair) for owner in counts[pair]]
            if any(kept is None for kept in arrays):
                break
            at[percent] = kth([kept for kept in arrays if kept is not None], k)
        if len(at) < len(PERCENTS):
            in_sql[stage_id] = summed
            continue
        average = (2 * summed.stay_seconds + summed.stays) // (2 * summed.stays)
        found[stage_id] = DurationStats(summed.stays, average, at[50], at[90])
    store.ranks_in_sql = len(in_sql)
    if in_sql:
        found.update(await stay_stats(deals, window, in_sql))
    return found


async def _read_stays(
    store: OwnerParts,
    workspace_id: int,
    pipeline_id: int,
    what: tuple[Any, ...],
    held: ScopeParts,
    planned: list[tuple[int, int, tuple[int, int]]],
    window: ReportWindow,
) -> None:
    """The planned owners' stays in the planned (stage, bucket) pairs, in
    one statement, kept on their parts when their owners did not move
    since their parts and the counts agree."""
    by_pair: dict[tuple[int, int], list[int]] = defaultdict(list)
    for _, owner, pair in planned:
        by_pair[pair].append(owner)
    order = sorted(by_pair)
    client = connections.get("default")
    queries = [
        _stays_sql(client, workspace_id, pipeline_id, stage_id, bucket, by_pair[stage_id, bucket], window)
        for stage_id, bucket in order
    ]
    seconds: dict[tuple[int, tuple[int, int]], list[int]] = defaultdict(list)
    for part, owner, stay in await union_rows(queries):
        seconds[int(owner or NO_OWNER), order[part]].append(int(stay))
    owners = sorted({owner for _, owner, _ in planned})
    now = await owner_positions(workspace_id, owners)
    for count, owner, pair in planned:
        values = seconds.get((owner, pair), [])
        if now[owner] != held.at[owner] or len(values) != count:
            continue
        held.parts[owner].stays[pair] = array("q", sorted(values))
        store.add_weight((what, owner), 1 + count // STAYS_PER_UNIT)


def _stays_sql(
    client: Any,
    workspace_id: int,
    pipeline_id: int,
    stage_id: int,
    bucket: int,
    owners: list[int],
    window: ReportWindow,
) -> Built:
    """The owners' stays of a stage in a bucket that ended in the window
    (index idx_stage_entry_stay; a few named owners' through
    idx_stage_entry_owner_stay), as SQL written here: the ORM's building
    of a dozen such filters cost more CPU than their reading."""
    low, high = bucket_bounds(bucket)
    named = [owner for owner in owners if owner != NO_OWNER]
    params: list[Any] = [workspace_id, pipeline_id, stage_id, window.start, window.end, low]
    sql = (
        f'SELECT "owner_id" "0", "stay_seconds" "1" FROM "{ENTRIES}" WHERE "workspace_id" = {{}} '
        'AND "pipeline_id" = {} AND "stage_id" = {} AND "deleted_at" IS NULL AND "left_at" >= {} '
        'AND "left_at" < {} AND "stay_seconds" >= {}'
    )
    if high is not None:
        sql += ' AND "stay_seconds" < {}'
        params.append(high)
    held = [f'"owner_id" IN ({", ".join("{}" for _ in named)})'] if named else []
    if len(named) < len(owners):
        held.append('"owner_id" IS NULL')
    sql += f" AND ({' OR '.join(held)})"
    params.extend(named)
    found = Built(client, sql.format(*placeholders(client, 1, len(params))), params, 2)
    # A few named owners' stays through their own index (migration 0038).
    return owner_led(found, ENTRIES, "idx_stage_entry_owner_stay") if by_owner_index(owners) else found
