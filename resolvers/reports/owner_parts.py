"""The funnel's figures per owner, kept in process: every figure but the
stays' median and p90 is a sum over the counted deals, and a deal counts
for its owner now (resolvers/reports/deal_scope.py), so a scope's funnel
is the sum of its owners' parts. A part is kept (for a pipeline, its
stages and their kinds, a range, a time zone, a currency) at its owner's
own position: the per-owner counters of the deals' topics
(resolvers/log_position.py: `deals@O`, `deal_stages@O`, moved by every
change of a deal O owns before or after it, and `@*`, moved by changes no
owner accounts for; `@0` for the deals without an owner, whose part also
follows `people`, where a user's removal leaves their deals ownerless).
Each counter only grows and follows commit order, so a part kept at the
position read now holds every commit of that owner's deals up to now.

A computation reads the scope's owners' positions (one statement), then
only the stale owners' parts from SQL: the full computation's statements
with `owner_id IN (stale owners)` and grouped by owner too. So after a
move by owner X, the admin's funnel reads X's rows instead of the
workspace's, and the 50 scopes of a team tree share 50 parts. The
positions are read again afterwards (one statement): when an owner of
the scope moved meanwhile (a deal handed from X to Y between the reads of
X's and Y's parts could count for both, or neither), the moved owners are
read again, at most `ROUNDS` times; the sum is then the figures of one
moment, as a single statement's would be.

Bounded like the poll cache's answers: least recently used parts go past
`max_weight` (a part weighs the stages, buckets and reasons it holds).
Scopes of more owners than MAX_PART_OWNERS are computed in full."""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tortoise import connections
from tortoise.expressions import Q

from revgraph.models.identity import SequenceCounter, User
from revgraph.resolvers.context import Context
from revgraph.resolvers.log_position import ANY_OWNER, counter_name, owner_topic
from revgraph.resolvers.reports.buckets import Bucket
from revgraph.resolvers.reports.deal_scope import ID_CHUNK
from revgraph.resolvers.reports.stage_days import NO_OWNER, StageFigures
from revgraph.resolvers.visibility import scope_of

# ctx.cache key of the process's OwnerParts (schema/poll.py hands it to a
# request); without it the funnel is computed in full.
OWNER_PARTS = "reports.owner_parts"
# The per-owner topics a part follows.
PART_TOPICS = ("deal_stages", "deals")
# Scopes of more owners are computed in full (a statement per chunk of ids otherwise).
MAX_PART_OWNERS = 2000
# A scope of more owners than this, none with a kept part, is computed in
# full (`cold`).
COLD_OWNERS = 8
# Times the stale parts are read again when an owner moved meanwhile.
ROUNDS = 3
# The most owners whose parts are read through the owner-led indexes
# (migration 0038); more are read through the stage-led ones, in one walk.
# On SQLite the two reads cost about the same at 8 owners (bench/
# reports_parts.py --crossing; bench/REPORTS.md, i11-index).
OWNER_INDEX_OWNERS = 8

ZERO = Decimal("0.00")
COUNTERS = SequenceCounter._meta.db_table


@dataclass
class OwnerPart:
    """One owner's figures: per stage (entered, converted, stays), per
    stage (deals now, their value), per kind WON/LOST by loss reason."""

    figures: dict[int, StageFigures] = field(default_factory=dict)
    current: dict[int, tuple[int, Decimal]] = field(default_factory=dict)
    closed: dict[str, dict[str, Bucket]] = field(default_factory=dict)
    # The seconds of the stays per (stage, duration bucket), ascending,
    # read when a scope's rank falls in the bucket (resolvers/reports/
    # owner_stays.py); not summed, and not counted in `weight`.
    stays: dict[tuple[int, int], array] = field(default_factory=dict)

    @property
    def weight(self) -> int:
        return (
            1
            + sum(1 + len(held.buckets) for held in self.figures.values())
            + len(self.current)
            + sum(len(reasons) for reasons in self.closed.values())
        )


def summed(parts: Collection[OwnerPart]) -> OwnerPart:
    """The parts' figures added up (a new part; the parts are not changed)."""
    total = OwnerPart()
    for part in parts:
        for stage_id, held in part.figures.items():
            into = total.figures.setdefault(stage_id, StageFigures())
            into.entered += held.entered
            into.converted += held.converted
            into.stays += held.stays
            into.stay_seconds += held.stay_seconds
            for bucket, count in held.buckets.items():
                into.buckets[bucket] = into.buckets.get(bucket, 0) + count
        for stage_id, (count, value) in part.current.items():
            held_count, held_value = total.current.get(stage_id, (0, ZERO))
            total.current[stage_id] = (held_count + count, held_value + value)
        for kind, reasons in part.closed.items():
            into_kind = total.closed.setdefault(kind, {})
            for key, bucket in reasons.items():
                held_bucket = into_kind.get(key)
                if held_bucket is None:
                    into_kind[key] = bucket
                else:
                    into_kind[key] = Bucket(
                        key,
                        held_bucket.label,
                        held_bucket.count + bucket.count,
                        (held_bucket.value or ZERO) + (bucket.value or ZERO),
                    )
    return total


@dataclass(slots=True)
class _Kept:
    part: OwnerPart
    position: tuple[Any, ...]
    weight: int


class OwnerParts:
    """Parts by (what they are of, owner), each at its owner's position;
    the least recently used go past `max_weight`, a part over an eighth of
    it is not kept. `computed` counts the parts read from SQL, `owners_read`
    lists the owners of the last such read, `ranks_in_sql` the stages of
    the last computation whose ranks were read in SQL (tests, benchmarks)."""

    def __init__(self, max_weight: int) -> None:
        self.max_weight = max_weight
        self.weight = 0
        self.computed = 0
        self.owners_read: list[int] = []
        # The stages whose stays' ranks the last computation read in SQL.
        self.ranks_in_sql = 0
        self._entries: OrderedDict[tuple[Any, int], _Kept] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def holds_any(self, what: Any, owners: Collection[int]) -> bool:
        """Whether a part of `what` is kept for one of `owners`, at any position."""
        return any((what, owner) in self._entries for owner in owners)

    def get(self, key: tuple[Any, int], position: tuple[Any, ...]) -> OwnerPart | None:
        kept = self._entries.get(key)
        if kept is None or kept.position != position:
            return None
        self._entries.move_to_end(key)
        return kept.part

    def put(self, key: tuple[Any, int], position: tuple[Any, ...], part: OwnerPart) -> None:
        held = self._entries.pop(key, None)
        if held is not None:
            self.weight -= held.weight
        weight = part.weight
        if weight > self.max_weight // 8:
            return
        self._entries[key] = _Kept(part, position, weight)
        self.weight += weight
        while self.weight > self.max_weight:
            self.weight -= self._entries.popitem(last=False)[1].weight

    def add_weight(self, key: tuple[Any, int], weight: int) -> None:
        """The kept part of `key` grew by `weight` (its stays read)."""
        kept = self._entries.get(key)
        if kept is None:
            return
        kept.weight += weight
        self.weight += weight
        while self.weight > self.max_weight and len(self._entries) > 1:
            self.weight -= self._entries.popitem(last=False)[1].weight

    def clear(self) -> None:
        self._entries.clear()
        self.weight = 0


async def scope_owners(ctx: Context) -> list[int] | None:
    """The owners whose deals the caller's funnel counts (NO_OWNER: the
    deals without one, which only the workspace's scope holds), or None
    when there are more than MAX_PART_OWNERS."""
    scope = await scope_of(ctx)
    if scope.owner_ids is not None:
        owners = sorted(scope.owner_ids)
    else:
        users = await User.filter(workspace_id=scope.workspace_id).values_list("id", flat=True)
        owners = [NO_OWNER, *sorted(users)]
    return owners if len(owners) <= MAX_PART_OWNERS else None


def _names(owner: int) -> list[str]:
    names = [counter_name(owner_topic(topic, owner)) for topic in PART_TOPICS]
    return [*names, counter_name("people")] if owner == NO_OWNER else names


async def owner_positions(workspace_id: int, owners: list[int]) -> dict[int, tuple[Any, ...]]:
    """Each owner's position (the topics' `@*`, then its counters), in one
    statement per chunk of owners (a missing counter is 0). Raw SQL: the
    ORM's building of a hundred-name IN list cost more than its reading."""
    anyone = [counter_name(owner_topic(topic, ANY_OWNER)) for topic in PART_TOPICS]
    values: dict[str, int] = {}
    connection = connections.get("default")
    sqlite = connection.capabilities.dialect == "sqlite"
    for at in range(0, len(owners), ID_CHUNK // 3):
        chunk = owners[at : at + ID_CHUNK // 3]
        names = [*anyone, *(name for owner in chunk for name in _names(owner))]
        places = ", ".join("?" if sqlite else f"${n}" for n in range(2, len(names) + 2))
        _, rows = await connection.execute_query(
            f'SELECT "name", "value" FROM "{COUNTERS}" WHERE "workspace_id" = {"?" if sqlite else "$1"} '
            f'AND "name" IN ({places})',
            [workspace_id, *names],
        )
        values.update((row[0], row[1]) for row in rows)
    shared = tuple(values.get(name, 0) for name in anyone)
    return {owner: (*shared, *(values.get(name, 0) for name in _names(owner))) for owner in owners}


def owners_q(workspace_id: int, owners: Collection[int], *, rollups: bool) -> Q:
    """The deals of `owners` on a record with workspace_id and owner_id:
    the rollups write no owner as 0, the facts as null."""
    q = Q(workspace_id=workspace_id)
    if rollups or NO_OWNER not in owners:
        return q & Q(owner_id__in=sorted(owners))
    named = sorted(o for o in owners if o != NO_OWNER)
    return q & (Q(owner_id__in=named) | Q(owner_id__isnull=True))


def by_owner_index(owners: Collection[int]) -> bool:
    """Whether the parts of `owners` are read through the owner-led
    indexes (migration 0038): a few named owners (the deals without one are
    not in those indexes), as after a move; a walk of the stage-led
    indexes costs the same for one owner as for all, a seek per owner,
    stage and bucket grows with the owners."""
    return NO_OWNER not in owners and len(owners) <= OWNER_INDEX_OWNERS


def cold(stale: int, owners: int) -> bool:
    """Whether a scope is computed in full rather than from parts: none of
    its owners has a kept part (`stale` = `owners`) and there are more than
    COLD_OWNERS. Measured on the 100,000-deal workspace (bench/REPORTS.md,
    i11-parts): the workspace's 51 parts read at once, grouped by owner,
    cost about twice its full computation (the rollups' and facts' indexes
    lead with the stage, so one owner's rows cost a walk of every owner's).
    So a first answer stays the full one; once a smaller scope (an agent's)
    has kept a part, the wide scope reads the rest of its parts, once."""
    return stale == owners and stale > COLD_OWNERS


@dataclass
class ScopeParts:
    """A scope's owners' parts, the position each was computed or kept at,
    and their sum."""

    parts: dict[int, OwnerPart]
    at: dict[int, tuple[Any, ...]]
    total: OwnerPart


async def scope_part(
    store: OwnerParts,
    workspace_id: int,
    owners: list[int],
    what: tuple[Any, ...],
    compute: Callable[[list[int]], Awaitable[dict[int, OwnerPart]]],
) -> ScopeParts | None:
    """The owners' parts of `what` and their sum: the kept ones at their
    owner's position now, the others by `compute(stale owners)` (each
    owner's part; an owner without deals may be missing). None when the
    scope is cold (`cold`): computed in full instead. See the module for
    the rounds."""
    if cold(len(owners), len(owners)) and not store.holds_any(what, owners):
        # None kept at any position, so none at the owners' positions now:
        # cold without reading them.
        return None
    positions = await owner_positions(workspace_id, owners)
    parts: dict[int, OwnerPart] = {}
    at: dict[int, tuple[Any, ...]] = {}
    stale = owners
    for _ in range(ROUNDS):
        missing = []
        for owner in stale:
            kept = store.get((what, owner), positions[owner])
            if kept is None:
                missing.append(owner)
            else:
                parts[owner], at[owner] = kept, positions[owner]
        stale = missing
        if not stale:
            break
        if cold(len(stale), len(owners)):
            return None
        found: dict[int, OwnerPart] = {}
        for start in range(0, len(stale), ID_CHUNK):
            found.update(await compute(stale[start : start + ID_CHUNK]))
        store.computed += len(stale)
        store.owners_read = list(stale)
        for owner in stale:
            parts[owner], at[owner] = found.get(owner, OwnerPart()), positions[owner]
            store.put((what, owner), positions[owner], parts[owner])
        now = await owner_positions(workspace_id, owners)
        stale = [owner for owner in owners if now[owner] != positions[owner]]
        positions = now
        if not stale:
            break
    return ScopeParts(parts, at, summed([parts[owner] for owner in owners]))
