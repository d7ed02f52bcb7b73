"""Pipelines and stages: configuration (ADMIN), reads and board aggregates."""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tortoise import connections
from tortoise.functions import Count, Sum

from revgraph.models.pipeline import Deal, Pipeline, Stage, StageTransition
from revgraph.resolvers import filtering, loaders
from revgraph.resolvers.context import Context
from revgraph.resolvers.custom_fields.filters import with_custom_fields
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import in_unit_of_work, record_event, unit_of_work
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.filtering import stored_filter
from revgraph.resolvers.i18n import N_, _, ngettext
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.read_rows import read_values
from revgraph.resolvers.reports.raw_rows import sql_marks
from revgraph.resolvers.settings import Limits
from revgraph.resolvers.stage_entries import refresh_reached_higher
from revgraph.resolvers.stage_gates import validate_required_fields
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import named_record, scope_of

STAGE_KINDS = ("OPEN", "WON", "LOST")


def _probability(value: int | None, field: list[str]) -> int:
    value = 0 if value is None else value
    if not 0 <= value <= 100:
        raise DomainError("INVALID", _("Probability is a percentage from 0 to 100."), field)
    return value


async def deal_filter_fields(workspace_id: int, *conditions: Any) -> filtering.FieldMap:
    """The DealFilter fields, with the custom fields `conditions` name."""
    from revgraph.resolvers.deal_queries import DEAL_FIELDS

    return await with_custom_fields(DEAL_FIELDS, workspace_id, "DEAL", *conditions)


def _entry_condition(
    value: dict[str, Any] | None, limits: Limits, fields: filtering.FieldMap, field: list[str]
) -> dict[str, Any] | None:
    """Validate a DealFilter and keep it as JSON in GraphQL names, as it
    is shown back in Stage.entryCondition and evaluated at every move."""
    if not value:
        return None
    condition = stored_filter(value)
    check_filter(condition, fields, limits, field)
    return condition


def _stage_values(
    spec: dict[str, Any], limits: Limits, fields: filtering.FieldMap, field: list[str]
) -> dict[str, Any]:
    kind = spec.get("kind") or "OPEN"
    if kind not in STAGE_KINDS:
        raise DomainError("INVALID", _("Unknown stage kind {kind!r}.", kind=kind), [*field, "kind"])
    default_probability = {"WON": 100, "LOST": 0}.get(kind, 0)
    return {
        "name": required_text(spec.get("name"), [*field, "name"], what=_("Stage name")),
        "kind": kind,
        "probability": _probability(spec.get("probability", default_probability), [*field, "probability"]),
        "required_fields": validate_required_fields(
            spec.get("required_fields") or [], [*field, "requiredFields"]
        ),
        "entry_condition": _entry_condition(
            spec.get("entry_condition"), limits, fields, [*field, "entryCondition"]
        ),
        "requires_scheduled_task": bool(spec.get("requires_scheduled_task") or False),
    }


async def next_board_sequence(pipeline_id: int) -> int:
    """Take the pipeline's lock and the next board sequence (in the caller's
    transaction): board writers of one pipeline commit one at a time, in
    sequence order."""
    return await reserve_board_sequences(pipeline_id, 1)


@dataclass
class _Turn:
    lock: asyncio.Lock
    held: bool = True


# The turns the current task holds, by pipeline id.
_turn: contextvars.ContextVar[dict[int, _Turn] | None] = contextvars.ContextVar(
    "revgraph_board_turn", default=None
)
# Per event loop (a test's loop is its own), per pipeline.
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def board_turn(*pipeline_ids: int) -> AsyncIterator[None]:
    """Wait for the pipelines' turns in this process (in id order, as their
    sequences are taken) before a board write's unit of work begins;
    reserve_board_sequences hands each on as soon as the database's lock
    on that pipeline is taken.

    The board's writers queue in the database (the advisory lock below),
    and each one waiting there holds a pooled connection and, in its
    waiting statement, a snapshot: with 20 writers on one board that was 20
    of the pool's connections, and dead versions of the rollups' hot rows
    kept from pruning. Here the queue is an asyncio.Lock (first come, first
    served), so at most one writer per process waits in the database.
    Inside a caller's unit of work (an import, an automation) nothing is
    awaited: its transaction may hold locks the turn's holder waits for."""
    if in_unit_of_work():
        yield
        return
    locks = _turns.setdefault(asyncio.get_running_loop(), {})
    held: dict[int, _Turn] = {}
    try:
        for pipeline_id in sorted(set(pipeline_ids)):
            lock = locks.setdefault(pipeline_id, asyncio.Lock())
            await lock.acquire()
            held[pipeline_id] = _Turn(lock)
        token = _turn.set(held)
        try:
            yield
        finally:
            _turn.reset(token)
    finally:
        for turn in held.values():
            _hand_on(turn)


def _hand_on(turn: _Turn | None) -> None:
    if turn is not None and turn.held:
        turn.held = False
        turn.lock.release()


# pg_advisory_xact_lock's first key for a pipeline's board (the second is
# the pipeline's id): "RGBD".
BOARD_LOCK = 0x52474244


async def reserve_board_sequences(pipeline_id: int, count: int) -> int:
    """next_board_sequence for `count` board events at once (a bulk load's
    deals of one pipeline): the first of `count` consecutive sequences.

    The UPDATE row-locks the pipeline to the commit. On PostgreSQL a
    transaction-scoped advisory lock on the pipeline is taken first, so
    that the board's writers queue for it in arrival order: waiters for a
    row another transaction updated are not woken in order (a new version
    of the row is a new tuple to wait on, and the holder's commit wakes
    every waiter at once), so with 20 writers on one board a move could
    wait out many later ones (bench/REPORTS.md: moveDeal's p99 at 5× its
    p50). The lock manager's queue is first come, first served."""
    client = connections.get("default")
    dialect = client.capabilities.dialect
    table = Pipeline._meta.db_table
    marks = sql_marks(3, dialect)
    params: list[object] = [count, pipeline_id]
    update = f'UPDATE "{table}" SET board_sequence = board_sequence + {marks[0]} WHERE id = {marks[1]}'
    if dialect == "postgres":
        params.append(BOARD_LOCK)
        # One statement: the lock's subquery is an uncorrelated condition,
        # evaluated once before the row is updated (and locked).
        update = (
            f"WITH board_lock AS (SELECT pg_advisory_xact_lock({marks[2]}, {marks[1]})) "
            f"{update} AND EXISTS (SELECT 1 FROM board_lock)"
        )
    _, rows = await client.execute_query(f"{update} RETURNING board_sequence", params)
    _hand_on((_turn.get() or {}).get(pipeline_id))
    return rows[0][0] - count + 1


async def create_pipeline(ctx: Context, *, name: str, stages: list[dict[str, Any]]) -> Pipeline:
    """ADMIN creates a pipeline with its ordered stages (at least one)."""
    actor = ctx.require_admin()
    name = required_text(name, ["input", "name"], what=_("Pipeline name"))
    if not stages:
        raise DomainError("INVALID", _("A pipeline needs at least one stage."), ["input", "stages"])
    fields = await deal_filter_fields(actor.workspace_id, *(s.get("entry_condition") for s in stages))
    values = [
        _stage_values(spec, ctx.settings.limits, fields, ["input", "stages", str(i)])
        for i, spec in enumerate(stages)
    ]
    names = [v["name"].lower() for v in values]
    for index, stage_name in enumerate(names):
        if stage_name in names[:index]:
            raise DomainError(
                "DUPLICATE",
                _("Stage names must be unique in a pipeline."),
                ["input", "stages", str(index), "name"],
            )
    async with unit_of_work():
        position = await Pipeline.filter(workspace_id=actor.workspace_id).count()
        pipeline = await Pipeline.create(workspace_id=actor.workspace_id, name=name, position=position)
        for index, stage in enumerate(values):
            await Stage.create(workspace_id=actor.workspace_id, pipeline=pipeline, position=index, **stage)
        await record_event(
            actor,
            actor.workspace_id,
            "pipeline.created",
            N_("Pipeline {name} created with {count} stages", name=name, count=len(values)),
            data={"pipelineId": pipeline.id},
            pipeline_id=pipeline.id,
        )
    return pipeline


async def _admin_stage(ctx: Context, stage_id: str, field: list[str]) -> Stage:
    """A stage of the workspace, archived ones included, for its ADMIN."""
    ctx.require_admin()
    return await named_record(ctx, Stage, stage_id, field, live=False)


async def update_stage(ctx: Context, stage_id: str, patch: dict[str, Any]) -> Stage:
    """ADMIN renames a stage or changes its probability and gates; gates
    apply to later moves, deals already in the stage stay."""
    stage = await _admin_stage(ctx, stage_id, ["id"])
    actor = ctx.require_admin()
    changes: dict[str, Any] = {}
    if "name" in patch:
        changes["name"] = required_text(patch["name"], ["input", "name"], what=_("Stage name"))
        clash = (
            await Stage.filter(pipeline_id=stage.pipeline_id, name=changes["name"], archived_at=None)
            .exclude(id=stage.id)
            .exists()
        )
        if clash:
            raise DomainError("DUPLICATE", _("Stage names must be unique in a pipeline."), ["input", "name"])
    if "probability" in patch:
        changes["probability"] = _probability(patch["probability"], ["input", "probability"])
    if "required_fields" in patch:
        changes["required_fields"] = validate_required_fields(
            patch["required_fields"] or [], ["input", "requiredFields"]
        )
    if "entry_condition" in patch:
        fields = await deal_filter_fields(actor.workspace_id, patch["entry_condition"])
        changes["entry_condition"] = _entry_condition(
            patch["entry_condition"], ctx.settings.limits, fields, ["input", "entryCondition"]
        )
    if "requires_scheduled_task" in patch:
        changes["requires_scheduled_task"] = bool(patch["requires_scheduled_task"])
    changed = {k: v for k, v in changes.items() if getattr(stage, k) != v}
    if not changed:
        return stage
    async with unit_of_work():
        await Stage.filter(id=stage.id).update(**changed)
        await record_event(
            actor,
            actor.workspace_id,
            "stage.updated",
            N_("Stage {get} updated", get=changed.get("name", stage.name)),
            data={"stageId": stage.id, "changes": sorted(changed)},
            pipeline_id=stage.pipeline_id,
        )
    return await Stage.get(id=stage.id)


async def add_stage(ctx: Context, pipeline_id: str, spec: dict[str, Any], position: int | None) -> Stage:
    """ADMIN inserts a stage at `position` (default: last); later stages shift."""
    actor = ctx.require_admin()
    pipeline = await named_record(ctx, Pipeline, pipeline_id, ["pipelineId"], live=False)
    fields = await deal_filter_fields(actor.workspace_id, spec.get("entry_condition"))
    values = _stage_values(spec, ctx.settings.limits, fields, ["input"])
    if await Stage.filter(pipeline_id=pipeline.id, name=values["name"], archived_at=None).exists():
        raise DomainError("DUPLICATE", _("Stage names must be unique in a pipeline."), ["input", "name"])
    async with unit_of_work():
        stages = await Stage.filter(pipeline_id=pipeline.id, archived_at=None).order_by("position")
        at = len(stages) if position is None else max(0, min(position, len(stages)))
        for index, stage in enumerate(stages[at:], start=at + 1):
            await Stage.filter(id=stage.id).update(position=index)
        stage = await Stage.create(
            workspace_id=actor.workspace_id, pipeline_id=pipeline.id, position=at, **values
        )
        # Archived stages keep their positions: their order against the
        # shifted ones may change, and with it what counts as converted.
        await refresh_reached_higher(pipeline.id)
        await record_event(
            actor,
            actor.workspace_id,
            "stage.added",
            N_("Stage {stage} added to {pipeline}", stage=stage.name, pipeline=pipeline.name),
            data={"stageId": stage.id},
            pipeline_id=pipeline.id,
        )
    return stage


async def reorder_stages(ctx: Context, pipeline_id: str, stage_ids: list[str]) -> Pipeline:
    """ADMIN sets the board order; the list must name every active stage once."""
    actor = ctx.require_admin()
    pipeline = await named_record(ctx, Pipeline, pipeline_id, ["pipelineId"], live=False)
    current = {s.id for s in await Stage.filter(pipeline_id=pipeline.id, archived_at=None)}
    wanted = [pk_of(s, "Stage") for s in stage_ids]
    if set(wanted) != current or len(wanted) != len(current):
        raise DomainError("INVALID", _("List every active stage of the pipeline exactly once."), ["stageIds"])
    async with unit_of_work():
        for index, pk in enumerate(wanted):
            await Stage.filter(id=pk).update(position=index)
        await refresh_reached_higher(pipeline.id)
        await record_event(
            actor,
            actor.workspace_id,
            "pipeline.stages_reordered",
            N_("Stages of {pipeline} reordered", pipeline=pipeline.name),
            data={"stageIds": wanted},
            pipeline_id=pipeline.id,
        )
    return pipeline


async def archive_stage(ctx: Context, stage_id: str, move_deals_to: str | None) -> Stage:
    """ADMIN removes a stage from the board. A stage with deals needs
    `moveDealsTo` (another active stage of the same pipeline); its deals move
    there with a recorded transition, bypassing gates as an admin decision."""
    stage = await _admin_stage(ctx, stage_id, ["id"])
    actor = ctx.require_admin()
    if stage.archived_at is not None:
        return stage
    live = Deal.filter(stage_id=stage.id, deleted_at=None)
    count = await live.count()
    target = None
    if count:
        if move_deals_to is None:
            raise DomainError(
                "RULE_VIOLATION",
                ngettext(
                    "{stage} has {count} deal: name the stage it moves to.",
                    "{stage} has {count} deals: name the stage they move to.",
                    count,
                    stage=stage.name,
                ),
                ["moveDealsTo"],
                rule="stage.has_deals",
            )
        target = await named_record(
            ctx, Stage, move_deals_to, ["moveDealsTo"], pipeline_id=stage.pipeline_id, id__not=stage.id
        )
    if await Stage.filter(pipeline_id=stage.pipeline_id, archived_at=None).count() == 1:
        raise DomainError(
            "RULE_VIOLATION", _("A pipeline keeps at least one stage."), ["id"], rule="pipeline.last_stage"
        )
    from revgraph.resolvers.deal_moves import relocate_deals

    async with unit_of_work():
        if target is not None:
            await relocate_deals(actor, stage, target)
        await Stage.filter(id=stage.id).update(archived_at=datetime.now(UTC))
        await record_event(
            actor,
            actor.workspace_id,
            "stage.archived",
            N_("Stage {stage} archived", stage=stage.name),
            data={"stageId": stage.id, "movedTo": target.id if target else None, "deals": count},
            pipeline_id=stage.pipeline_id,
        )
    return await Stage.get(id=stage.id)


async def list_pipelines(ctx: Context) -> list[Pipeline]:
    actor = ctx.require_actor()
    return list(
        await Pipeline.filter(workspace_id=actor.workspace_id, archived_at=None).order_by("position", "id")
    )


async def get_pipeline(ctx: Context, pk: int) -> Pipeline | None:
    actor = ctx.require_actor()
    return await Pipeline.filter(id=pk, workspace_id=actor.workspace_id).first()


async def get_stage(ctx: Context, pk: int) -> Stage | None:
    actor = ctx.require_actor()
    return await Stage.filter(id=pk, workspace_id=actor.workspace_id).first()


def stages_of_pipeline(ctx: Context) -> loaders.BatchLoader:
    def factory(workspace_id: int) -> loaders.BatchFn:
        async def batch(pipeline_ids: list[int]) -> list[list[Stage]]:
            rows = await Stage.filter(
                workspace_id=workspace_id, pipeline_id__in=pipeline_ids, archived_at=None
            ).order_by("position", "id")
            grouped: dict[int, list[Stage]] = {}
            for row in rows:
                grouped.setdefault(row.pipeline_id, []).append(row)
            return [grouped.get(p, []) for p in pipeline_ids]

        return batch

    return loaders.loader(ctx, "stages_of_pipeline", factory)


@dataclass(frozen=True)
class StageTotals:
    count: int
    total: Decimal
    weighted: Decimal


async def _stage_totals_loader(ctx: Context) -> loaders.BatchLoader:
    scope = await scope_of(ctx)

    def factory(workspace_id: int) -> loaders.BatchFn:
        async def batch(stage_ids: list[int]) -> list[tuple[int, Decimal]]:
            rows = await read_values(
                Deal.filter(scope.owner_q(), stage_id__in=stage_ids, deleted_at=None)
                .group_by("stage_id")
                .annotate(n=Count("id"), total=Sum("value")),
                "stage_id",
                "n",
                "total",
            )
            found = {r["stage_id"]: (r["n"], Decimal(str(r["total"] or 0))) for r in rows}
            return [found.get(s, (0, Decimal("0"))) for s in stage_ids]

        return batch

    return loaders.loader(ctx, "stage_totals", factory)


def _totals_of(stage: Stage, count: int, total: Decimal) -> StageTotals:
    total = total.quantize(Decimal("0.01"))
    weighted = (total * stage.probability / 100).quantize(Decimal("0.01"))
    return StageTotals(count, total, weighted)


async def stage_totals(ctx: Context, stage: Stage) -> StageTotals:
    """Count and value of the live deals in a stage that the caller may
    see; one grouped query for every stage of the request."""
    count, total = await (await _stage_totals_loader(ctx)).load(stage.id)
    return _totals_of(stage, count, total)


async def stages_totals(ctx: Context, stages: list[Stage]) -> list[StageTotals]:
    """`stage_totals` of several stages at once (a board's columns), in the
    same grouped query and with the same loader, in one await."""
    found = await (await _stage_totals_loader(ctx)).load_many([stage.id for stage in stages])
    return [_totals_of(stage, count, total) for stage, (count, total) in zip(stages, found, strict=True)]


async def stage_history(ctx: Context, deal_id: int) -> list[StageTransition]:
    ctx.require_actor()
    return list(await StageTransition.filter(deal_id=deal_id).order_by("id"))
