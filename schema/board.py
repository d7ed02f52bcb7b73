"""The live board subscription, and the shared execution of live events
that every stream's subscription uses (the inbox's too: schema/inbox/live.py):
one execution per event, selection set and audience, written to each
subscriber's socket by the stream's hub (resolvers/board_hub.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Callable, Iterator
from datetime import datetime
from typing import Any, cast

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLResolveInfo,
    Node,
    OperationType,
    VariableNode,
    execute_subscription_event,
)
from strawberry.execution import optimized_is_awaitable
from strawberry.types import Info

from revgraph.resolvers import board, loaders
from revgraph.resolvers.board_hub import Direct, FrameSink, Render, current_sink
from revgraph.resolvers.errors import AuthError, DomainError
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.schema.common import ctx_of
from revgraph.schema.deal_filters import BoardEventKind
from revgraph.schema.deals import Deal
from revgraph.schema.extensions import public_error
from revgraph.schema.identity import User
from revgraph.schema.lean_execution import LeanExecutionContext
from revgraph.schema.permissions import AUTHENTICATED


def _gid(type_name: str, pk: int | None) -> strawberry.ID | None:
    return strawberry.ID(encode_id(type_name, pk)) if pk is not None else None


class LiveEventRoot:
    """The root value of a live stream's event (BoardEvent, InboxEvent): one
    per delivery record, built by `build`, so every subscriber the record
    goes to executes against the same object and shares its results
    (SharedEventExecutionContext)."""

    @property
    def shared_results(self) -> dict[Any, Any]:
        """Execution results of this event, by operation: see SharedEventExecutionContext."""
        return cast(Any, self).record.shared

    @classmethod
    def build(cls, record: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def of(cls, record: Any) -> Any:
        payload = record.shared.get("payload")
        if payload is None:
            payload = record.shared["payload"] = cls.build(record)
        return payload


@strawberry.type(
    description="One change to a card of the board. A moveDeal (with or without patch) is exactly one MOVED. Sent to each subscriber who could see the deal before or after the change; `deal` is null when the subscriber cannot see it after."
)
class BoardEvent(LiveEventRoot):
    sequence: int = strawberry.field(
        description="Strictly increasing per pipeline, without gaps; resume with boardEvents(since:)."
    )
    kind: BoardEventKind = strawberry.field(description="CREATED, UPDATED, MOVED or REMOVED.")
    deal_id: strawberry.ID = strawberry.field(description="The deal changed.")
    from_stage_id: strawberry.ID | None = strawberry.field(
        description="Stage the card left (MOVED, REMOVED)."
    )
    to_stage_id: strawberry.ID | None = strawberry.field(
        description="Stage the card entered (CREATED, MOVED)."
    )
    after_deal_id: strawberry.ID | None = strawberry.field(
        description="Card placement after the event: the card above it, or null at the top."
    )
    at: datetime = strawberry.field(description="When it happened.")
    record: strawberry.Private[board.BoardEventRecord]

    @strawberry.field(description="Current state of the deal; null when REMOVED or no longer visible to you.")
    def deal(self) -> Deal | None:
        row = self.record.deal
        return Deal.of(row, self.record.ctx) if row is not None else None

    @strawberry.field(description="Who made the change; null for automations and the system.")
    async def actor(self) -> User | None:
        if self.record.actor_user_id is None:
            return None
        row = await loaders.users(self.record.ctx).load(self.record.actor_user_id)
        return User.of(row) if row else None

    @classmethod
    def build(cls, record: board.BoardEventRecord) -> BoardEvent:
        return cls(
            sequence=record.sequence,
            kind=BoardEventKind(record.kind),
            deal_id=_gid("Deal", record.deal_id),
            from_stage_id=_gid("Stage", record.from_stage_id),
            to_stage_id=_gid("Stage", record.to_stage_id),
            after_deal_id=_gid("Deal", record.after_deal_id),
            at=record.at,
            record=record,
        )


class PerEventExecutionContext(LeanExecutionContext):
    """Strawberry's execution context, with graphql-core 3.3's per-event copy
    fixed: `build_per_event_executor` shallow-copies the subscription's
    executor, so every event's copy wrote into the one memo of collected
    subfields the subscription keeps, keyed by the identity of that event's
    own field lists and holding them alive. A live subscription grew by ~1.4
    KB per event for as long as it stayed open (bench/FAULTS.md). Each
    event's copy gets a memo of its own: nothing is lost, since no event
    can hit another event's entries."""

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        if hasattr(executor, "_relevant_sub_fields"):
            executor._relevant_sub_fields = {}
        return executor


class SharedEventExecutionContext(PerEventExecutionContext):
    """Executes a shareable subscription event once per (operation,
    variables) and hands the same result to every subscriber that receives
    the same payload object (one visibility scope). With 1,000 boards open,
    an event costs one execution per distinct query and scope, not 1,000."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        shared = getattr(self.root_value, "shared_results", None)
        if shared is None or self.operation.operation != OperationType.SUBSCRIPTION:
            return super().execute_operation(serially)
        key = ("result", id(self.operation), _variables_key(self.variable_values.coerced))
        future = shared.get(key)
        if future is None:
            result = super().execute_operation(serially)
            if not self.is_awaitable(result):
                return result
            future = shared[key] = asyncio.ensure_future(result)
        return asyncio.shield(future)


@contextlib.contextmanager
def stream_errors() -> Iterator[None]:
    """A stream that cannot start (NOT_FOUND, FORBIDDEN...) ends with an
    execution error carrying the code, as a query's would."""
    try:
        yield
    except DomainError as error:
        raise GraphQLError(error.problems[0].message, extensions={"code": error.problems[0].code}) from error
    except AuthError as error:
        raise GraphQLError(str(error), extensions={"code": error.code}) from error


def _variables_key(variables: dict[str, Any]) -> str:
    return json.dumps(variables, sort_keys=True, default=str)


def direct_delivery(info: Info, sink: FrameSink, root_of: Callable[[Any], Any]) -> Direct:
    """Live delivery through a stream's hub for this subscriber: its
    selection set is executed once per event for every subscriber of the
    process sharing it (and an audience), and the frame written to each
    socket. `root_of` turns a delivery record into the subscription's root
    value (BoardEvent.of)."""
    raw: GraphQLResolveInfo = info._raw_info
    operation = raw.operation
    # The root field's own arguments (pipelineId, since) do not change what
    # an event renders to; only variables used below it do.
    root = raw.field_nodes[0]
    used = sorted(_variables_in([*(root.directives or ()), root.selection_set]))
    used += sorted(_variables_in(list(raw.fragments.values())))
    values = raw.variable_values or {}
    key = (id(operation), _variables_key({name: values.get(name) for name in used}))
    return Direct(sink=sink, selection_key=key, render=_renderer(raw, sink.variables, root_of))


def _variables_in(nodes: list[Any]) -> set[str]:
    found: set[str] = set()
    stack = [n for n in nodes if n is not None]
    while stack:
        node = stack.pop()
        if isinstance(node, VariableNode):
            found.add(node.name.value)
            continue
        for attribute in node.keys:
            value = getattr(node, attribute, None)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, tuple | list):
                stack.extend(v for v in value if isinstance(v, Node))
    return found


def _renderer(
    raw: GraphQLResolveInfo, variables: dict[str, Any] | None, root_of: Callable[[Any], Any]
) -> Render:
    document = DocumentNode(definitions=(raw.operation, *raw.fragments.values()))
    name = raw.operation.name.value if raw.operation.name else None
    request_id = raw.context["ctx"].request_id
    executor: Any = None

    async def render(record: Any) -> str:
        nonlocal executor
        if executor is None:
            built = PerEventExecutionContext.build(
                raw.schema,
                document,
                context_value=raw.context,
                raw_variable_values=variables,
                operation_name=name,
                is_awaitable=optimized_is_awaitable,
            )
            if isinstance(built, list):
                raise built[0]
            executor = built
        result: Any = execute_subscription_event(executor.build_per_event_executor(root_of(record)))
        if optimized_is_awaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [public_error(e, request_id).formatted for e in result.errors]
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)

    return render


@strawberry.type
class BoardSubscription:
    @strawberry.subscription(
        description="Every change to deals of this pipeline that the caller may see, in order. since: replay the events after this sequence number first, then go live (since: 0 replays the pipeline's whole history; omitted: live from now).",
        permission_classes=AUTHENTICATED,
    )
    async def board_events(
        self, info: Info, pipeline_id: strawberry.ID, since: int | None = None
    ) -> AsyncGenerator[BoardEvent, None]:
        ctx = ctx_of(info)
        pk = pk_of(pipeline_id, "Pipeline") or 0
        sink = current_sink.get()
        direct = direct_delivery(info, sink, BoardEvent.of) if sink is not None else None
        with stream_errors():
            async for record in board.board_events(ctx, pk, since, direct):
                yield BoardEvent.of(record)
