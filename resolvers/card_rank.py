"""Card order within a board column: integer ranks with gaps.

Placing a card writes only that card's rank (the midpoint of its new
neighbours). Only when two neighbours have no integer left between them is
the column renumbered, which happens after ~16 consecutive inserts at the
same spot. Callers hold the pipeline's lock (its sequence counter), so
concurrent moves in one pipeline are serialised and never pick the same gap."""

from __future__ import annotations

from revgraph.models.pipeline import Deal

GAP = 1 << 16


async def _column(stage_id: int, exclude: int | None) -> list[tuple[int, int]]:
    query = Deal.filter(stage_id=stage_id, deleted_at=None)
    if exclude is not None:
        query = query.exclude(id=exclude)
    return [(r["id"], r["rank"]) for r in await query.order_by("rank", "id").values("id", "rank")]


async def _renumber(column: list[tuple[int, int]]) -> list[tuple[int, int]]:
    renumbered = []
    for index, (deal_id, _) in enumerate(column):
        rank = (index + 1) * GAP
        await Deal.filter(id=deal_id).update(rank=rank)
        renumbered.append((deal_id, rank))
    return renumbered


async def rank_after(stage_id: int, after_deal_id: int | None, *, moving_deal_id: int | None) -> int:
    """The rank that puts a card right after `after_deal_id` in the column
    (None: at the top). `after_deal_id` must be a live card of that column."""
    if after_deal_id is None:
        first = (
            await Deal.filter(stage_id=stage_id, deleted_at=None)
            .exclude(id=moving_deal_id or 0)
            .order_by("rank", "id")
            .first()
            .values("rank")
        )
        return (first["rank"] - GAP) if first else 0
    column = await _column(stage_id, moving_deal_id)
    ids = [deal_id for deal_id, _ in column]
    index = ids.index(after_deal_id)
    for _ in range(2):
        before = column[index][1]
        if index + 1 == len(column):
            return before + GAP
        nxt = column[index + 1][1]
        if nxt - before >= 2:
            return before + (nxt - before) // 2
        column = await _renumber(column)
    raise AssertionError("renumbered column still has no gap")


async def ranks_on_top(stage_id: int, count: int) -> list[int]:
    """The ranks of `count` new cards each put at the top of the column in
    turn (the last one on top): rank_after(stage, None) for each, after the
    ones before it."""
    first = await rank_after(stage_id, None, moving_deal_id=None)
    return [first - offset * GAP for offset in range(count)]
