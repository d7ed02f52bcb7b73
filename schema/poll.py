"""Cheap polls: which queries the poll cache (resolvers/poll_cache.py) may
answer, and the extension that answers them from it.

A query qualifies when every root field it selects is marked REPORT and no
field it selects, at any depth, is marked CHANGES_WITH_TIME. REPORT is a
promise about the field's whole answer, nested objects included: it is a
function of the committed data, the arguments and the caller's visibility
scope (visibility.scope_key) only — nothing else about who asks, nothing
written without an event, the clock only through `answer_changes_at`.
CHANGES_WITH_TIME marks what moves by itself (seconds since something,
presence, a state computed from the clock): selecting one under a report
opts the document out. The verdict is kept per document text.

Over HTTP only: a websocket authenticates once, so its operations carry no
fresh log position. This extension keeps the answers (an answer with errors
is not kept); a repeat is normally answered before Strawberry runs, by
web/poll_path.py, and here only when that path stepped aside. Either way
admission applies as to any operation (cost, authentication, rate limit)
and a cached answer is charged what it delivers, like a computed one. Each
answer of a GET carries a weak ETag of its data; a matching If-None-Match
is a 304 (web/poll_path.py, web/graphql_view.py).

A poll that must be computed waits for a turn (PollCache.turns: a few at
once per process, paced, first come first served) and meanwhile takes any
answer of its slot that lands at its position or later (or, scoped, at its
narrow position); a turn that came after waiting reads the position again
before computing, so its answer serves the polls queued behind it. The
deadline ends a wait like any other await: LIMIT_EXCEEDED.

A mutation counts as a write in flight from the start of its execution
(resolvers/events/writes.py): a turn does not start while one runs, and
each statement of a running computation waits for it, at most
STATEMENT_HOLD_SECONDS (resolvers/database.py `report_reads`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.types import Info

from revgraph.resolvers.database import report_reads
from revgraph.resolvers.events.writes import HeldTime, holding, writing
from revgraph.resolvers.i18n import current_language
from revgraph.resolvers.log_position import TOPICS, positions_now, slot_position
from revgraph.resolvers.poll_cache import (
    CHANGES_AT,
    CachedData,
    PollAnswer,
    PollCache,
    narrow_position,
    operation_slot,
)
from revgraph.resolvers.reports.owner_parts import OWNER_PARTS
from revgraph.resolvers.visibility import scope_key
from revgraph.schema import deadline
from revgraph.schema.demand import delivered_cost, fragments_of, operation_of, selected_fields

# A poll waiting for another request's computation stops this long before its own deadline.
DEADLINE_MARGIN = 0.05

# strawberry.field(metadata=...) of a root field whose answers may be kept,
# until anything is logged (see `report` for one that says what it reads).
REPORT = {"poll": "report"}
# strawberry.field(metadata=...) of a field whose value changes without a
# logged change: a document selecting it is never kept.
CHANGES_WITH_TIME = {"poll": "clock"}
# Documents whose verdict is remembered (then forgotten all at once).
VERDICTS = 1024


def report(*topics: str, by_deal_owner: bool = False) -> dict[str, Any]:
    """REPORT for a field whose answer depends only on what events of these
    topics change (log_position.TOPICS; `other`, the kinds of no known
    topic, always included): its answer is kept until one of them moves.
    `by_deal_owner`: for a caller who sees some owners' deals, the answer
    reads deals only as deals of those owners (their figures,
    resolvers/reports/deal_scope.py; the contacts they hand to the caller,
    visibility.contact_q), so it is kept across changes of other owners'
    deals too (log_position.OWNED_TOPICS). Not for a report that reads deals
    through anything else (who moved them, the assignments a move marks
    worked: activityReport, distributionReport)."""
    unknown = set(topics) - set(TOPICS)
    if unknown:
        raise ValueError(f"unknown topics {sorted(unknown)}")
    return {**REPORT, "reads": frozenset({*topics, "other"}), "by_deal_owner": by_deal_owner}


def reads_of(definition: Any) -> frozenset[str] | None:
    """The topics a graphql-core field declares it reads (None: all)."""
    return _metadata(definition).get("reads")


def _metadata(definition: Any) -> dict[str, Any]:
    field = (definition.extensions or {}).get("strawberry-definition")
    return getattr(field, "metadata", None) or {}


def marker(definition: Any) -> str | None:
    """ "report", "clock" or None: the mark of a graphql-core field."""
    field = (definition.extensions or {}).get("strawberry-definition")
    metadata = getattr(field, "metadata", None) or {}
    return metadata.get("poll")


class PollVerdicts:
    """Whether a document's operation may be answered from the cache,
    remembered per (document text, operation name). The view owns one and
    hands it to the extension through the context."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str | None], bool] = {}
        # The topics qualifying operations read (None: all), by the same key.
        self._reads: dict[tuple[str, str | None], frozenset[str] | None] = {}
        self._by_deal_owner: dict[tuple[str, str | None], bool] = {}
        self._steady_fields: dict[tuple[str, int], bool] = {}

    def steady_field(self, info: Info) -> bool:
        """No field under this (report) field changes with time (`_steady`):
        its value, kept and read again later, would have such a field read
        its objects' rows as they were then (a user's presence). Remembered
        by where the field stands in the document's text."""
        raw = info._raw_info
        node = raw.field_nodes[0]
        key = (node.loc.source.body, node.loc.start) if node.loc is not None else None
        verdict = self._steady_fields.get(key) if key is not None else None
        if verdict is None:
            verdict = len(raw.field_nodes) == 1 and _steady(raw.schema, raw.fragments, raw.parent_type, node)
            if key is not None:
                if len(self._steady_fields) >= VERDICTS:
                    self._steady_fields.clear()
                self._steady_fields[key] = verdict
        return verdict

    def known_cacheable(self, query: str, operation_name: str | None) -> bool:
        """Whether this document already ran (limits, validation and all)
        and qualified: web/poll_path.py answers only those."""
        return self._known.get((query, operation_name)) is True

    def reads(self, query: str, operation_name: str | None) -> frozenset[str] | None:
        """The topics a qualifying document's answer depends on (None: all)."""
        return self._reads.get((query, operation_name))

    def by_deal_owner(self, query: str, operation_name: str | None) -> bool:
        """Whether every root field of a qualifying document counts deals by
        their owner only (`report(..., by_deal_owner=True)`)."""
        return self._by_deal_owner.get((query, operation_name), False)

    def cacheable(self, schema: GraphQLSchema, query: str, document: Any, operation_name: str | None) -> bool:
        key = (query, operation_name)
        verdict = self._known.get(key)
        if verdict is None:
            if len(self._known) >= VERDICTS:
                self._known.clear()
                self._reads.clear()
                self._by_deal_owner.clear()
            verdict = self._known[key] = _qualifies(schema, document, operation_name)
            if verdict:
                self._reads[key] = _reads(schema, document, operation_name)
                self._by_deal_owner[key] = all(
                    _metadata(definition).get("by_deal_owner", False)
                    for definition in _root_definitions(schema, document, operation_name)
                )
        return verdict


def _root_definitions(schema: GraphQLSchema, document: Any, operation_name: str | None) -> list[Any]:
    """The graphql-core definitions of the operation's root fields."""
    operation = operation_of(document, operation_name)
    return [
        on.fields[node.name.value]
        for on, node in selected_fields(
            schema, fragments_of(document), schema.query_type, operation.selection_set
        )
        if node.name.value != "__typename"
    ]


def _reads(schema: GraphQLSchema, document: Any, operation_name: str | None) -> frozenset[str] | None:
    """The union of the root fields' topics; None when one reads all."""
    operation = operation_of(document, operation_name)
    found: set[str] = set()
    for on, node in selected_fields(
        schema, fragments_of(document), schema.query_type, operation.selection_set
    ):
        if node.name.value == "__typename":
            continue
        declared = reads_of(on.fields[node.name.value])
        if declared is None:
            return None
        found |= declared
    return frozenset(found)


def _qualifies(schema: GraphQLSchema, document: Any, operation_name: str | None) -> bool:
    operation = operation_of(document, operation_name)
    if not isinstance(operation, OperationDefinitionNode) or operation.operation != OperationType.QUERY:
        return False
    fragments = fragments_of(document)
    roots = [
        (on, node)
        for on, node in selected_fields(schema, fragments, schema.query_type, operation.selection_set)
    ]
    roots = [(on, node) for on, node in roots if node.name.value != "__typename"]
    if not roots:
        return False
    for on, node in roots:
        definition = on.fields.get(node.name.value)
        if definition is None or marker(definition) != "report":
            return False
    return all(_steady(schema, fragments, on, node) for on, node in roots)


def _steady(schema: GraphQLSchema, fragments: Any, on: Any, node: FieldNode) -> bool:
    """No field under `node` (on type `on`) changes with time, whichever
    concrete type an abstract one turns out to be."""
    pending: list[tuple[Any, FieldNode]] = [(on, node)]
    while pending:
        parent, current = pending.pop()
        name = current.name.value
        if name.startswith("__"):
            continue
        owners = schema.get_possible_types(parent) if is_abstract_type(parent) else [parent]
        definitions = [d for d in (getattr(o, "fields", {}).get(name) for o in owners) if d is not None]
        if is_abstract_type(parent) and name in getattr(parent, "fields", {}):
            definitions.append(parent.fields[name])
        if any(marker(d) == "clock" for d in definitions):
            return False
        selection: SelectionSetNode | None = current.selection_set
        if selection is None or not definitions:
            continue
        child = get_named_type(definitions[0].type)
        pending.extend(selected_fields(schema, fragments, child, selection))
    return True


class KeptFieldAnswer(FieldExtension):
    """A report field's value kept per process at the position of the
    topics it reads (PollCache.fields): a document computed again because
    another of its reports changed takes this one's value as it was, when
    nothing it reads moved since (or, `by_deal_owner` for a scoped caller,
    none of its owners' deals). Over HTTP only, like the document's cache;
    a value that changes with the clock (`answer_changes_at`) is not kept."""

    def __init__(self, reads: frozenset[str], by_deal_owner: bool) -> None:
        super().__init__()
        self.reads = reads
        self.by_deal_owner = by_deal_owner

    async def resolve_async(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        context = info.context if isinstance(info.context, dict) else {}
        cache: PollCache | None = context.get("poll_cache")
        verdicts: PollVerdicts | None = context.get("poll_verdicts")
        ctx = context.get("ctx")
        actor = getattr(ctx, "actor", None)
        if cache is not None and ctx is not None:
            # Kept at their owners' own positions, read by the report itself:
            # exact on any transport (resolvers/reports/owner_parts.py).
            ctx.cache.setdefault(OWNER_PARTS, cache.parts)
        if (
            cache is None
            or actor is None
            or context.get("transport") != "http"
            or ctx.log_position is None
            or verdicts is None
            or not verdicts.steady_field(info)
        ):
            return await next_(source, info, **kwargs)
        # The arguments as Strawberry made them (input types are dataclasses:
        # their repr, which the slot's JSON falls back to, is their values).
        key = operation_slot(
            actor.workspace_id, scope_key(actor), info.field_name, None, kwargs, language=current_language()
        )
        position = slot_position(ctx.log_position, ctx.topic_positions, self.reads)
        kept = cache.fields.get(key, position)
        if kept is not None:
            return kept.value
        narrow = await narrow_position(ctx, self.reads) if self.by_deal_owner else None
        kept = cache.fields.get(key, position, narrow) if narrow is not None else None
        if kept is not None:
            return kept.value
        value = await next_(source, info, **kwargs)
        if CHANGES_AT not in ctx.cache:
            cache.fields.put(key, value, position, narrow, weight(value, cache.fields.max_weight))
        return value


def weight(value: Any, limit: int) -> int:
    """The objects and list items `value` holds (Strawberry objects' fields
    and lists, not what they keep privately), counted up to `limit`."""
    count, pending = 0, [value]
    while pending and count <= limit:
        item = pending.pop()
        count += 1
        if isinstance(item, list | tuple):
            pending.extend(item)
        elif (
            fields := getattr(getattr(item, "__strawberry_definition__", None), "fields", None)
        ) is not None:
            pending.extend(getattr(item, field.python_name, None) for field in fields)
    return count


def keep_report_answers(*root_types: Any) -> None:
    """Put a KeptFieldAnswer on every report field that declares what it
    reads (once: schemas are built again for each app, the fields are the
    same objects)."""
    for root in root_types:
        for field in root.__strawberry_definition__.fields:
            metadata = field.metadata or {}
            if metadata.get("poll") != "report" or metadata.get("reads") is None:
                continue
            if not any(isinstance(e, KeptFieldAnswer) for e in field.extensions):
                field.extensions.insert(
                    0, KeptFieldAnswer(metadata["reads"], metadata.get("by_deal_owner", False))
                )


class PollCaching(SchemaExtension):
    """Answers a qualifying HTTP query from the poll cache when the slot
    holds the answer of the position read with the credential; otherwise
    lets it run and keeps its answer. Runs after DemandControl's admission."""

    async def on_execute(self) -> AsyncIterator[None]:
        slot = self._slot()
        ec = self.execution_context
        cache: PollCache | None = self._context.get("poll_cache")
        if self._mutation():
            # From here, not only its transaction: report computations wait
            # for the reads a use case makes before it too (writes.py).
            with writing():
                yield
            return
        if slot is None or cache is None:
            yield
            return
        turn = None
        held = HeldTime()
        try:
            try:
                answer, narrow = await self._find(cache, slot)
                if answer is None:
                    turn = cache.turns.ask()
                    answer = await self._queue(cache, slot, turn, narrow)
            except asyncio.CancelledError:
                # The deadline's, landing in this hook's entry (schema/deadline.py).
                if not deadline.expired(self._context):
                    raise
                self.execution_context.result = ExecutionResult(
                    data=None, errors=[deadline.refusal(deadline.seconds(self._context))]
                )
                yield
                return
            if answer is not None:
                if turn is not None:
                    cache.turns.end(turn)
                    turn = None
                ec.result = ExecutionResult(data=answer.data(), errors=None)
                self._context["delivered_cost"] = answer.delivered
                self._tag(answer)
                yield
                return
            position = self._position()
            land = cache.compute(slot, position)
            try:
                with report_reads(), holding() as held:
                    yield
                answer = self._keep(cache, slot, position, narrow)
            finally:
                land(answer)
        finally:
            if turn is not None:
                cache.turns.end(turn, held.seconds)

    def _mutation(self) -> bool:
        ec = self.execution_context
        if ec.graphql_document is None or ec.pre_execution_errors:
            return False
        operation = operation_of(ec.graphql_document, self._sent_name())
        return operation is not None and operation.operation == OperationType.MUTATION

    def _position(self) -> Any:
        """The position of what the document reads, from the credential."""
        ctx = self._context["ctx"]
        verdicts: PollVerdicts = self._context["poll_verdicts"]
        reads = verdicts.reads(self.execution_context.query or "", self._sent_name())
        return slot_position(ctx.log_position, ctx.topic_positions, reads)

    async def _find(self, cache: PollCache, slot: tuple[Any, ...]) -> tuple[PollAnswer | None, Any]:
        """The kept answer that holds now (or the one another request is
        computing, when it lands in time), and the caller's narrow position
        when one was read (None otherwise)."""
        ctx = self._context["ctx"]
        verdicts: PollVerdicts = self._context["poll_verdicts"]
        position = self._position()
        answer = cache.get(slot, position)
        running = cache.computation(slot, position) if answer is None else None
        if running is not None:
            answer = await self._wait(running)
        narrow = None
        if answer is None:
            # Something the answer reads changed in the workspace: for a
            # caller who sees some owners' deals, maybe not theirs.
            sent = (self.execution_context.query or "", self._sent_name())
            if verdicts.by_deal_owner(*sent):
                narrow = await narrow_position(ctx, verdicts.reads(*sent))
            held = cache.held(slot) if narrow is not None else None
            if held is not None and held.narrow == narrow:
                cache.confirm(slot, held, position)
                answer = held
        return answer, narrow

    async def _queue(
        self, cache: PollCache, slot: tuple[Any, ...], turn: asyncio.Future[None], narrow: Any
    ) -> PollAnswer | None:
        """Wait for a turn to compute (PollCache.turns), unless a computation
        of the slot lands meanwhile at this poll's position or a later one,
        or at its narrow position: its answer, then. A turn that came after waiting: the position is
        read again (the computations before it took time, and polls of the
        slot queued behind this one read theirs since), then the slot's
        answer if it holds there, else None: compute. The deadline's
        cancellation may land here (on_execute answers it)."""
        if turn.done():
            return None
        handed = cache.await_answer(slot, self._position(), narrow)
        try:
            await asyncio.wait({turn, handed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            cache.stop_awaiting(slot, handed)
        if handed.done():
            return handed.result()
        ctx = self._context["ctx"]
        log_position, topic_positions = await positions_now(ctx.actor.workspace_id)
        if log_position is not None:
            ctx.log_position, ctx.topic_positions = log_position, topic_positions
        return cache.get(slot, self._position())

    async def _wait(self, running: asyncio.Future[PollAnswer | None]) -> PollAnswer | None:
        """The answer another request is computing, if it lands before this
        operation's deadline (less a margin, so that it computes the answer
        itself, where the deadline ends it as LIMIT_EXCEEDED, rather than
        wait to the end; a loop late by more than the margin is answered by
        on_execute)."""
        left = deadline.left(self._context)
        if left is None:
            return await running
        left -= DEADLINE_MARGIN
        try:
            if left > 0:
                done, _ = await asyncio.wait({running}, timeout=left)
                if done:
                    return running.result()
            return None
        finally:
            running.cancel()  # the shield around the computation, not the computation

    def _keep(self, cache: PollCache, slot: tuple[Any, ...], position: Any, narrow: Any) -> PollAnswer | None:
        """Keep the answer just computed, unless it has errors."""
        ec = self.execution_context
        result = ec.result
        if result is None or getattr(result, "errors", None) or getattr(result, "data", None) is None:
            return None
        assert ec.graphql_document is not None
        delivered = self._context["delivered_cost"] = delivered_cost(
            ec.graphql_document, ec.operation_name, result.data, result.errors
        )
        answer = cache.put(
            slot,
            position,
            result.data,
            changes_at=self._context["ctx"].cache.get(CHANGES_AT),
            requested=self._context.get("requested_cost") or 0,
            delivered=delivered,
            narrow=narrow,
        )
        data = result.data = CachedData(result.data)
        data.json = answer.json
        self._tag(answer)
        return answer

    @property
    def _context(self) -> dict[str, Any]:
        context = self.execution_context.context
        return context if isinstance(context, dict) else {}

    def _slot(self) -> tuple[Any, ...] | None:
        context = self._context
        ctx = context.get("ctx")
        actor = getattr(ctx, "actor", None)
        ec = self.execution_context
        if (
            context.get("transport") != "http"
            or actor is None
            or ctx.log_position is None
            or ec.query is None
            or ec.graphql_document is None
            or ec.pre_execution_errors
        ):
            return None
        sent_name = self._sent_name()
        verdicts: PollVerdicts | None = context.get("poll_verdicts")
        if verdicts is None or not verdicts.cacheable(
            ec.schema._schema, ec.query, ec.graphql_document, sent_name
        ):
            return None
        return operation_slot(
            actor.workspace_id,
            scope_key(actor),
            ec.query,
            sent_name,
            ec.variables,
            language=current_language(),
        )

    def _sent_name(self) -> str | None:
        """The operation's name as the client sent it (None for a lone
        anonymous-or-named operation), as web/poll_path.py reads it from
        the request; `operation_name` would be the one found in the document."""
        ec = self.execution_context
        return getattr(ec, "_provided_operation_name", ec.operation_name)

    def _tag(self, answer: PollAnswer) -> None:
        """ETag of a GET's answer (the view answers If-None-Match)."""
        request = self._context.get("request")
        response = self._context.get("response")
        if getattr(request, "method", None) == "GET" and response is not None:
            response.headers.update(etag_headers(answer))


def etag_headers(answer: PollAnswer) -> dict[str, str]:
    """A GET answer's validator; kept by a browser but asked again each
    time (If-None-Match), and only for the same credential."""
    return {"etag": answer.etag, "cache-control": "private, no-cache", "vary": "Authorization"}
