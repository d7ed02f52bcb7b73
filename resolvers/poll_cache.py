"""The poll cache: answers of report queries kept in process, so that a
dashboard's repeated poll whose answer cannot have changed costs no SQL
beyond its credential (schema/poll.py says which operations qualify and
plugs this into execution; web/graphql_view.py turns it into ETags).

An answer is a function of the workspace's committed data, summarised by
its log position (resolvers/log_position.py); of the caller's visibility
scope (visibility.scope_key); of the operation (document, operation name,
variables); and, for a few figures, of the clock (a snoozed conversation
whose SLA target passes). A slot is (workspace, scope, operation) and holds
the answer of one position: a request that read that position gets it, one
that read a newer position misses, computes and replaces it. The answer was
computed after its position was read, so it includes at least every commit
the position counts: a cached answer is never older than the last commit the
caller could have seen when the request began. A figure that changes with
the clock says when (`answer_changes_at`), and the answer is served until
then only.

Computations take turns (`ComputationTurns`): at most a few at once per
process (REVGRAPH_REPORT_COMPUTATIONS), the others queued first come first
served, so that dashboards' first answers, however many, leave the process
free for writes; a turn starts when no write is in flight in the process
(resolvers/events/writes.py), or after MAX_WRITE_HOLD_SECONDS of writes
one after the other; once started, each of its statements waits again for
the writes in flight, briefly (resolvers/events/writes.py `writes_first`),
and the turn's rest does not count that wait. A poll waiting in the queue takes the answer of any
computation of its slot that lands meanwhile at its position or a later
one, or at its narrow position (`await_answer`): it includes every commit
the poll could have seen.
One whose turn comes after waiting reads the position again before it
computes (schema/poll.py), so its answer serves every poll of the slot
queued behind it.

Bounded: the least recently used slots go when the answers' JSON passes the
byte budget; an answer over an eighth of it is not kept. Per process: each
process of a deployment keeps its own, all keyed by the same positions."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from revgraph.resolvers.context import Context
from revgraph.resolvers.events.writes import writes_in_flight
from revgraph.resolvers.log_position import (
    MAX_OWNED_SCOPE,
    OWNED_TOPICS,
    at_or_after,
    newer,
    owned_position,
    owned_reads,
    slot_position,
)
from revgraph.resolvers.reports.owner_parts import OwnerParts
from revgraph.resolvers.visibility import scope_of

# ctx.cache key of the earliest moment a figure of the answer changes by
# itself (a POSIX timestamp).
CHANGES_AT = "poll.changes_at"
# The longest a turn rests (ComputationTurns), however long it computed.
MAX_REST_SECONDS = 1.0
# The longest writes in flight hold a turn back (ComputationTurns).
MAX_WRITE_HOLD_SECONDS = 1.0
# What a slot costs besides its answer's JSON: the key's strings, the dicts.
SLOT_OVERHEAD_BYTES = 512
# What the budget of report fields' values (FieldAnswers) counts an object
# or list item of a value as: generous, the budget is a bound, not a gauge.
FIELD_UNIT_BYTES = 1024
# What the budget of the funnel's owner parts counts a stage's figures, a
# duration bucket or a loss reason as (a few small objects each).
PART_UNIT_BYTES = 256

Slot = tuple[Any, ...]


def answer_changes_at(ctx: Context, when: datetime) -> None:
    """A figure of the answer being computed changes at `when` without any
    logged change (a deadline passing): a cached copy is served until then."""
    at = when.timestamp()
    known = ctx.cache.get(CHANGES_AT)
    if known is None or at < known:
        ctx.cache[CHANGES_AT] = at


def operation_slot(
    workspace_id: int,
    scope: tuple[Any, ...],
    query: str,
    operation_name: str | None,
    variables: Any,
    *,
    language: str,
) -> Slot:
    """The slot of an operation: the document's text as sent, its variables
    in a canonical JSON (keys sorted), and the caller's language (answers
    hold labels and messages in it; choosing one logs no change)."""
    canonical = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"), default=str)
    return (workspace_id, scope, query, operation_name, canonical, language)


async def narrow_position(ctx: Context, reads: Collection[str] | None) -> Any:
    """For a caller who sees the deals of some owners only, when the answer
    reads per-owner topics (log_position.OWNED_TOPICS): the position of its
    other topics (from the credential), the owners, and their deals'
    position (one statement). An answer kept with the same is still
    exact, whatever else the workspace's deals did. None otherwise."""
    owned = owned_reads(reads)
    if not owned or reads is None:
        return None
    scope = await scope_of(ctx)
    if scope.owner_ids is None or len(scope.owner_ids) > MAX_OWNED_SCOPE:
        return None
    rest = sorted(set(reads) - set(OWNED_TOPICS))
    # Once per request and set of topics (a document's, then each of its report fields').
    owners = await ctx.once(
        "narrow:" + ",".join(owned), lambda: owned_position(scope.workspace_id, owned, scope.owner_ids)
    )
    return (slot_position(ctx.log_position, ctx.topic_positions, rest), scope.owner_ids, owners)


class CachedData(dict):
    """An answer's `data` with its JSON, which responses splice in rather
    than encode again (web/graphql_view.py)."""

    __slots__ = ("json",)
    json: str


@dataclass(slots=True)
class PollAnswer:
    # The answer's `data` as JSON: what is kept (a parsed copy would weigh
    # several times its text) and what the poll path sends.
    json: str
    # Weak: the response's extensions (cost, budget) differ from one to the next.
    etag: str
    # The log's position, or the topics' it reads (log_position.slot_position).
    position: Any
    changes_at: float | None
    size: int
    # The operation's cost estimate and what the answer delivers (the rate
    # limit charges a cached answer like a computed one).
    requested: int
    delivered: int
    # For a caller who sees some owners' deals only: the owners, and the
    # position that only changes of their deals move (`narrow_position`),
    # read before the answer was computed; None when not kept.
    narrow: Any = None

    def fresh(self, position: Any, now: float) -> bool:
        return self.position == position and (self.changes_at is None or now < self.changes_at)

    def data(self) -> CachedData:
        """The answer as `data` for an execution result."""
        data = CachedData(json.loads(self.json))
        data.json = self.json
        return data


def etag_of(text: str) -> str:
    return 'W/"' + hashlib.blake2b(text.encode(), digest_size=12).hexdigest() + '"'


@dataclass(slots=True)
class FieldAnswer:
    """A report field's value (what its resolver returned) at a position."""

    value: Any
    position: Any
    narrow: Any
    weight: int


class FieldAnswers:
    """Report fields' values kept by (workspace, scope, field, arguments,
    language), each at the position of the topics that field reads: when a
    dashboard's document must be computed again because one of its reports
    changed (a move: the funnel), its other reports (leadReport) are taken
    from here instead of their SQL. A value weighs the objects and list
    items it holds (`weight`, counted by the caller); the least recently
    used go past `max_weight`, and a value over an eighth of it is not
    kept. A value kept is never changed by its readers (GraphQL only reads
    it)."""

    def __init__(self, max_weight: int) -> None:
        self.max_weight = max_weight
        self.weight = 0
        self.hits = 0
        self._entries: OrderedDict[Slot, FieldAnswer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Slot, position: Any, narrow: Any = None) -> FieldAnswer | None:
        """The value kept at `position`, or at an older one whose narrow
        position equals `narrow` (then kept at `position` from now on)."""
        found = self._entries.get(key)
        if found is None:
            return None
        if found.position != position:
            if narrow is None or found.narrow != narrow:
                return None
            if newer(position, found.position):
                found.position = position
        self._entries.move_to_end(key)
        self.hits += 1
        return found

    def put(self, key: Slot, value: Any, position: Any, narrow: Any, weight: int) -> None:
        held = self._entries.get(key)
        if held is not None and newer(held.position, position):
            return  # a slower request finishing late
        if held is not None:
            self.weight -= self._entries.pop(key).weight
        if weight > self.max_weight // 8:
            return
        self._entries[key] = FieldAnswer(value, position, narrow, weight)
        self.weight += weight
        while self.weight > self.max_weight:
            self.weight -= self._entries.popitem(last=False)[1].weight

    def clear(self) -> None:
        self._entries.clear()
        self.weight = 0


class ComputationTurns:
    """At most `limit` report computations at once (0: no limit); the
    others wait for a turn, first come first served. A report's first
    answer is tens of milliseconds of CPU and SQL: hundreds of dashboards
    missing at once would otherwise fill the process and the database's
    connections, and a write would wait behind all of them.

    Writes first: a turn starts only when no write is in flight in the
    process (resolvers/events/writes.py: units of work, mutations), so a
    write that has begun never finds a computation starting in its way; a
    turn held so for `max_hold` seconds starts anyway, so that writes
    coming one after the other cannot hold the dashboards for ever.

    Paced to `busy_percent` of the time: a turn that computed for d seconds
    while others wait rests d × (100 / busy_percent − 1) before it passes to
    the next in line (100: no rest; nobody waiting: none either, so a lone
    dashboard's reports never wait for a rest). While polls queue, each turn's computations then take
    at most that share of the time; the rest is the writes' (and the cheap
    polls'). The wall time counts what the computation waited for too, so a
    busier process rests its reports longer."""

    def __init__(
        self,
        limit: int,
        busy_percent: int = 100,
        max_rest: float = MAX_REST_SECONDS,
        max_hold: float = MAX_WRITE_HOLD_SECONDS,
    ) -> None:
        self.limit = limit
        self.busy_percent = busy_percent
        # A turn whose computation ran long (to its deadline, on a starved
        # process) would otherwise hold every queued poll as long again.
        self.max_rest = max_rest
        self.max_hold = max_hold
        # Turns granted, or reserved for the first in line while writes hold it.
        self.running = 0
        # How many turns writes held back, and for how long in all (seconds).
        self.held = 0
        self.held_seconds = 0.0
        self._queue: deque[asyncio.Future[None]] = deque()
        # When each turn being used was granted (loop time).
        self._granted: dict[asyncio.Future[None], float] = {}

    @property
    def waiting(self) -> int:
        return sum(1 for turn in self._queue if not turn.done())

    def ask(self) -> asyncio.Future[None]:
        """A turn: done at once when one is free, nobody waits and no write
        is in flight, else when the computations before it end (and their
        turns rested) and the writes let it. Give it back with `end`,
        granted or not."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        free = (self.limit <= 0 or self.running < self.limit) and not self.waiting
        self._queue.append(turn)
        if free:
            self.running += 1
            self._start_next()
        return turn

    def end(self, turn: asyncio.Future[None], held: float = 0.0) -> None:
        """The computation is over, or the poll no longer needs a turn
        (answered meanwhile, out of time): the next in line gets it, once
        the turn has rested. `held`: the seconds its statements waited for
        writes (resolvers/events/writes.py `writes_first`), which the rest
        does not count: the computation was not busy then."""
        if not turn.done():
            turn.cancel()
            return
        if turn.cancelled():
            return
        loop = asyncio.get_running_loop()
        began = self._granted.pop(turn, None)
        rest = 0.0
        if began is not None and 0 < self.busy_percent < 100:
            rest = max(0.0, loop.time() - began - held) * (100 / self.busy_percent - 1)
            rest = min(rest, self.max_rest)
        if rest > 0 and self.waiting:
            loop.call_later(rest, self._pass_on)
        else:
            self._pass_on()

    def _pass_on(self) -> None:
        if self.waiting:
            self._start_next()
        else:
            self._queue.clear()
            self.running -= 1

    def _start_next(self) -> None:
        """A turn is free: the first in line gets it when no write is in
        flight, at the latest `max_hold` seconds from now (whoever is first
        in line then: a poll answered meanwhile has left)."""
        quiet = writes_in_flight().quiet()
        if quiet.done() or self.max_hold <= 0:
            quiet.cancel()
            self._grant_next()
            return
        loop = asyncio.get_running_loop()
        held_from = loop.time()
        self.held += 1

        def start(_: object = None) -> None:
            if bound.cancelled():
                return
            bound.cancel()
            quiet.cancel()
            self.held_seconds += loop.time() - held_from
            self._grant_next()

        bound = loop.call_later(self.max_hold, start)
        quiet.add_done_callback(start)

    def _grant_next(self) -> None:
        while self._queue:
            following = self._queue.popleft()
            if not following.done():
                self._granted[following] = asyncio.get_running_loop().time()
                following.set_result(None)
                return
        self.running -= 1


class PollCache:
    """Least recently used slots, within `max_bytes` of answers; at most
    `computations` computations at once, busy `busy_percent` of the time
    (`ComputationTurns`)."""

    def __init__(
        self,
        max_bytes: int,
        clock: Callable[[], float] = time.time,
        *,
        computations: int = 2,
        busy_percent: int = 100,
    ) -> None:
        self.max_bytes = max_bytes
        # The time `answer_changes_at` deadlines are compared with.
        self.clock = clock
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._slots: OrderedDict[Slot, PollAnswer] = OrderedDict()
        # Answers being computed, by slot and position (`compute`).
        self._flights: dict[tuple[Slot, Any], asyncio.Future[PollAnswer | None]] = {}
        # Report fields' values, for documents computed again (schema/poll.py
        # `KeptFieldAnswer`), within a budget of about a KiB per object held.
        self.fields = FieldAnswers(max_bytes // FIELD_UNIT_BYTES)
        # The funnel's per-owner parts (resolvers/reports/owner_parts.py),
        # within about PART_UNIT_BYTES per stage, bucket or reason held.
        self.parts = OwnerParts(max_bytes // PART_UNIT_BYTES)
        self.turns = ComputationTurns(computations, busy_percent)
        # Polls queued for a turn, by slot: the position each read, and
        # where to hand it an answer that lands meanwhile (`await_answer`).
        self._awaiting: dict[Slot, list[tuple[Any, Any, asyncio.Future[PollAnswer]]]] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def computation(self, slot: Slot, position: Any) -> asyncio.Future[PollAnswer | None] | None:
        """The answer of this slot and position being computed right now,
        to wait for: it was computed after the same position was read, so
        polls that arrive meanwhile (a dashboard on many screens, many
        admins after a change) need not compute it again. It comes out
        None when that computation ends without an answer."""
        running = self._flights.get((slot, position))
        return asyncio.shield(running) if running is not None else None

    def compute(self, slot: Slot, position: Any) -> Callable[[PollAnswer | None], None]:
        """Announce a computation of the slot at `position`; call what this
        returns with its answer (or None) when it ends, whatever happens."""
        key = (slot, position)
        flight: asyncio.Future[PollAnswer | None] = asyncio.get_running_loop().create_future()
        self._flights.setdefault(key, flight)

        def land(answer: PollAnswer | None) -> None:
            if self._flights.get(key) is flight:
                del self._flights[key]
            if not flight.done():
                flight.set_result(answer)
            if answer is not None:
                self._hand_over(slot, answer)

        return land

    def await_answer(self, slot: Slot, position: Any, narrow: Any = None) -> asyncio.Future[PollAnswer]:
        """Done with the answer of the next computation of this slot that
        lands at `position` or a later one (read before it computed, so it
        includes every commit `position` counts), or, for a caller who sees
        some owners' deals, at the same narrow position (`narrow_position`:
        nothing it counts changed in between). Stop with `stop_awaiting`."""
        handed: asyncio.Future[PollAnswer] = asyncio.get_running_loop().create_future()
        self._awaiting.setdefault(slot, []).append((position, narrow, handed))
        return handed

    def stop_awaiting(self, slot: Slot, handed: asyncio.Future[PollAnswer]) -> None:
        waiting = self._awaiting.get(slot)
        if waiting is None:
            return
        waiting[:] = [entry for entry in waiting if entry[2] is not handed]
        if not waiting:
            del self._awaiting[slot]

    def _hand_over(self, slot: Slot, answer: PollAnswer) -> None:
        """Give a landed answer to the polls queued for its slot that read
        its position or an earlier one, or its narrow position."""
        waiting = self._awaiting.get(slot)
        if waiting is None:
            return
        for position, narrow, handed in waiting:
            if handed.done():
                continue
            if at_or_after(answer.position, position) or (narrow is not None and answer.narrow == narrow):
                handed.set_result(answer)

    def get(self, slot: Slot, position: Any) -> PollAnswer | None:
        """The slot's answer when it was computed at `position` and no
        figure of it has changed with the clock since."""
        answer = self._slots.get(slot)
        if answer is None or not answer.fresh(position, self.clock()):
            self.misses += 1
            return None
        self._slots.move_to_end(slot)
        self.hits += 1
        return answer

    def held(self, slot: Slot) -> PollAnswer | None:
        """The slot's answer whatever its position (to check it narrowly),
        unless a figure of it changed with the clock."""
        answer = self._slots.get(slot)
        if answer is None or (answer.changes_at is not None and self.clock() >= answer.changes_at):
            return None
        return answer

    def confirm(self, slot: Slot, answer: PollAnswer, position: Any) -> None:
        """The held `answer` holds at `position` too (nothing it counts
        changed since it was computed): later polls of it get it at once."""
        if self._slots.get(slot) is answer and newer(position, answer.position):
            answer.position = position
            self._slots.move_to_end(slot)
        self.hits += 1

    def put(
        self,
        slot: Slot,
        position: Any,
        data: dict[str, Any],
        *,
        changes_at: float | None = None,
        requested: int = 0,
        delivered: int = 0,
        narrow: Any = None,
    ) -> PollAnswer:
        """Keep `data`, computed after `position` was read, unless the slot
        already holds a newer position's answer (a slower request finishing
        late). Returns the answer either way."""
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        size = len(text) + len(slot[2]) + len(slot[4]) + SLOT_OVERHEAD_BYTES
        answer = PollAnswer(text, etag_of(text), position, changes_at, size, requested, delivered, narrow)
        held = self._slots.get(slot)
        if held is not None and newer(held.position, position):
            return answer
        if held is not None:
            self._drop(slot)
        if size <= self.max_bytes // 8:
            self._slots[slot] = answer
            self.bytes += size
            while self.bytes > self.max_bytes:
                self._drop(next(iter(self._slots)))
        return answer

    def _drop(self, slot: Slot) -> None:
        self.bytes -= self._slots.pop(slot).size

    def clear(self) -> None:
        self._slots.clear()
        self.bytes = 0
        self.fields.clear()
        self.parts.clear()
