"""Deals: create and update (moves: deal_moves.py, trash: deal_trash.py).

Every change of a deal numbers its board event with the pipeline's sequence
(taking the pipeline's lock first, then the deal's), records exactly one
event, and goes through the stage gates whenever it sets a stage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from revgraph.models.crm import Company, Contact
from revgraph.models.identity import User, Workspace
from revgraph.models.pipeline import Deal, Pipeline, Stage, StageTransition
from revgraph.resolvers.bulk_insert import insert_returning_ids
from revgraph.resolvers.card_rank import ranks_on_top
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.custom_fields.values import custom_fields_input, definitions_for
from revgraph.resolvers.developments import development_ref
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, record_events, unit_of_work
from revgraph.resolvers.i18n import N_, Listing, _
from revgraph.resolvers.numbering import reserve_numbers
from revgraph.resolvers.ownership import assignable_user
from revgraph.resolvers.partners.handoff import hand_off_events
from revgraph.resolvers.pipelines import board_turn, next_board_sequence, reserve_board_sequences
from revgraph.resolvers.stage_entries import enter_first_stages, record_transition
from revgraph.resolvers.stage_gates import check_stage_entry, check_still_satisfied
from revgraph.resolvers.validation import optional_text, required_text
from revgraph.resolvers.visibility import Scope, named_record, named_records, not_found, scope_of

MAX_VALUE = Decimal("9999999999999999.99")
# Fields shown in a deal.updated event, by column.
TRACKED = (
    "title",
    "value",
    "currency",
    "contact_id",
    "company_id",
    "owner_id",
    "development_id",
    "expected_close_date",
    "custom_fields",
)


def _value(raw: Any, field: list[str]) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("INVALID", _('Value must be a decimal number like "1250000.00".'), field) from exc
    if not value.is_finite() or value < 0 or value > MAX_VALUE:
        raise DomainError("INVALID", _("Value must be between 0 and 9999999999999999.99."), field)
    if value != value.quantize(Decimal("0.01")):
        raise DomainError("INVALID", _("Value may have at most 2 decimal places."), field)
    return value.quantize(Decimal("0.01"))


def _currency(raw: str | None, field: list[str]) -> str:
    code = (raw or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise DomainError("INVALID", _("Currency is an ISO 4217 code like BRL."), field)
    return code


class Named:
    """What a batch of new deals names (pipelines, stages, contacts,
    companies, owners, developments, the custom field definitions), each
    looked up once for the batch: the contacts and companies its inputs
    link, one query each (named_records); the rest as first named."""

    def __init__(self, ctx: Context, scope: Scope) -> None:
        self.ctx, self.scope = ctx, scope
        self.found: dict[tuple[Any, ...], Any] = {}
        self.definitions: list[Any] | None = None

    async def prefetch(self, model: type[Any], raw_ids: Sequence[str | None]) -> None:
        rows = await named_records(self.ctx, model, raw_ids)
        for raw in raw_ids:
            if raw:
                self.found[(model.__name__, raw)] = rows.get(raw)

    async def record(self, model: type[Any], raw: str | None, field: list[str], **conditions: Any) -> Any:
        """named_record, once per (model, id, conditions) in the batch."""
        key = (model.__name__, raw, *sorted(conditions.items()))
        if key not in self.found:
            try:
                self.found[key] = await named_record(self.ctx, model, raw, field, **conditions)
            except NotFound:
                self.found[key] = None
        row = self.found[key]
        if row is None:
            raise not_found(model, field)
        return row

    async def once(self, key: tuple[Any, ...], lookup: Any) -> Any:
        """`await lookup()` once per key in the batch (its DomainError too)."""
        if key not in self.found:
            try:
                self.found[key] = await lookup()
            except DomainError as refused:
                self.found[key] = refused
        value = self.found[key]
        if isinstance(value, DomainError):
            raise value
        return value


async def _apply_fields(
    ctx: Context,
    scope: Scope,
    deal: Deal,
    values: dict[str, Any],
    prefix: list[str],
    named: Named | None = None,
) -> None:
    """Validate a DealInput/DealUpdateInput dict and set it on `deal` (unsaved);
    `named`, a batch's lookups (create_deals)."""
    named = named or Named(ctx, scope)
    if "title" in values:
        deal.title = required_text(values["title"], [*prefix, "title"], max_length=300, what=_("Title"))
        deal.title_search = deal.title.lower()
    if "value" in values:
        deal.value = _value(values["value"], [*prefix, "value"])
    if "currency" in values and values["currency"] is not None:
        deal.currency = _currency(values["currency"], [*prefix, "currency"])
    if "contact_id" in values:
        raw = values["contact_id"]
        deal.contact_id = (await named.record(Contact, raw, [*prefix, "contactId"])).id if raw else None
    if "company_id" in values:
        raw = values["company_id"]
        deal.company_id = (await named.record(Company, raw, [*prefix, "companyId"])).id if raw else None
    if "owner_id" in values:
        raw = values["owner_id"]
        deal.owner_id = await named.once(
            ("owner", raw), lambda: assignable_user(ctx, scope, raw, [*prefix, "ownerId"])
        )
    if "development_id" in values:
        current = deal.development_id
        deal.development_id = await named.once(
            ("development", values["development_id"], current),
            lambda: development_ref(
                ctx, values["development_id"], [*prefix, "developmentId"], current=current
            ),
        )
    if "expected_close_date" in values:
        deal.expected_close_date = values["expected_close_date"]
    creating = deal.id is None
    if "custom_fields" in values or creating:
        if named.definitions is None:
            named.definitions = list(await definitions_for(deal.workspace_id, "DEAL"))
        # A new deal must fill its required custom fields even when it sends none.
        deal.custom_fields = await custom_fields_input(
            deal.workspace_id,
            "DEAL",
            values.get("custom_fields"),
            [*prefix, "customFields"],
            ctx.settings.limits,
            stored=None if creating else deal.custom_fields,
            creating=creating,
            definitions=named.definitions,
        )


async def _first_stage(pipeline: Pipeline, field: list[str]) -> Stage:
    stage = await Stage.filter(pipeline_id=pipeline.id, archived_at=None).order_by("position", "id").first()
    if stage is None:
        raise NotFound(_("Stage"), field)
    return stage


def _board_data(deal: Deal, **extra: Any) -> dict[str, Any]:
    return {"dealId": deal.id, "title": deal.title, **extra}


async def create_deal(ctx: Context, values: dict[str, Any]) -> Deal:
    """Open a deal in a pipeline (default: its first stage, the workspace's
    currency; an AGENT owns what they create). Entering a later stage passes
    the same gates as a move."""
    (created,) = await create_deals(ctx, [values])
    if isinstance(created, DomainError):
        raise created
    return created


async def create_deals(ctx: Context, inputs: Sequence[dict[str, Any]]) -> list[Deal | DomainError]:
    """create_deal for several inputs (createDeal sends one; an import, a
    batch of rows): each input is checked on its own, stage gates
    included, and answered with its deal or the DomainError create_deal
    raises for it, in order. The accepted ones are written together, in
    input order, as create_deal writes one (_insert_many): each on top of
    its column, numbered, with its first transition, its stage entry, its
    `deal.created` board event and its hand-offs, in the caller's unit of
    work if there is one."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    workspace = await Workspace.get(id=actor.workspace_id)
    now = datetime.now(UTC)
    named = Named(ctx, scope)
    await named.prefetch(Contact, [values.get("contact_id") for values in inputs])
    await named.prefetch(Company, [values.get("company_id") for values in inputs])
    out: list[Deal | DomainError] = []
    fresh: list[tuple[Deal, Stage]] = []
    for values in inputs:
        try:
            placed = await _new_deal(ctx, scope, workspace, values, now, named)
        except DomainError as error:
            out.append(error)
            continue
        fresh.append(placed)
        out.append(placed[0])
    if fresh:
        async with board_turn(*(deal.pipeline_id for deal, _stage in fresh)), unit_of_work():
            await _insert_many(actor, fresh, actor_label=None, handing_off=True)
    return out


async def _new_deal(
    ctx: Context,
    scope: Scope,
    workspace: Workspace,
    values: dict[str, Any],
    now: datetime,
    named: Named,
) -> tuple[Deal, Stage]:
    """createDeal's input checked (its stage's gates too) and read into an
    unsaved deal and its stage, or its first refusal raised."""
    actor = ctx.require_actor()
    pipeline = await named.record(Pipeline, values.get("pipeline_id"), ["input", "pipelineId"])
    first_stage = await named.once(
        ("first stage", pipeline.id), lambda: _first_stage(pipeline, ["input", "stageId"])
    )
    stage = (
        first_stage
        if values.get("stage_id") is None
        else await named.record(Stage, values["stage_id"], ["input", "stageId"], pipeline_id=pipeline.id)
    )
    deal = Deal(
        workspace_id=actor.workspace_id,
        pipeline_id=pipeline.id,
        stage_id=stage.id,
        currency=workspace.currency,
        custom_fields={},
        version=1,
        owner_id=actor.user_id if actor.role == "AGENT" else None,
    )
    lost_reason = optional_text(
        values.get("lost_reason"), ["input", "lostReason"], max_length=500, multiline=True
    )
    _enter(deal, stage, now, lost_reason)
    await _apply_fields(ctx, scope, deal, values, ["input"], named)
    if stage.id != first_stage.id:
        await check_stage_entry(
            deal,
            stage,
            lost_reason=values.get("lost_reason"),
            field_prefix=["input"],
            stage_field=["input", "stageId"],
            now=now,
        )
    return deal, stage


def _enter(deal: Deal, stage: Stage, now: datetime, lost_reason: str | None = None) -> None:
    """Put a deal in a stage: its status follows the stage's kind, a WON/LOST
    stage closes it, only a LOST stage keeps a loss reason."""
    deal.stage_id = stage.id
    deal.stage_entered_at = now
    deal.status = stage.kind
    deal.closed_at = now if stage.kind != "OPEN" else None
    deal.lost_reason = lost_reason if stage.kind == "LOST" else None


async def _transition(
    actor: Actor | None, deal: Deal, from_stage_id: int | None, stage: Stage, label: str | None = None
) -> None:
    """Record the deal's entry into `stage`, with its cohort facts
    (resolvers/stage_entries.py), in the caller's transaction."""
    await record_transition(
        deal,
        from_stage_id,
        stage,
        actor.user_id if actor else None,
        label or (actor.label if actor else None),
    )


async def _insert(actor: Actor | None, deal: Deal, stage: Stage, *, actor_label: str | None) -> None:
    """Place a new deal on top of its column, with its first transition and
    its CREATED board event (caller's transaction)."""
    await _insert_many(actor, [(deal, stage)], actor_label=actor_label, handing_off=False)


async def _insert_many(
    actor: Actor | None, placed: Sequence[tuple[Deal, Stage]], *, actor_label: str | None, handing_off: bool
) -> None:
    """Write new deals in order, each as if alone and after the ones before
    it (caller's transaction): its pipeline's lock and board sequences
    (pipelines in id order), a place on top of its column, its number, its
    first transition and stage entry, its CREATED board event, and with
    `handing_off` the hand-offs its stage's rules make — a few statements
    for all of them."""
    sequences: dict[int, int] = {}
    by_pipeline: dict[int, list[Deal]] = {}
    by_stage: dict[int, list[Deal]] = {}
    for deal, stage in placed:
        by_pipeline.setdefault(deal.pipeline_id, []).append(deal)
        by_stage.setdefault(stage.id, []).append(deal)
    for pipeline_id in sorted(by_pipeline):
        first = await reserve_board_sequences(pipeline_id, len(by_pipeline[pipeline_id]))
        for offset, deal in enumerate(by_pipeline[pipeline_id]):
            sequences[id(deal)] = first + offset
    for stage_id in sorted(by_stage):
        for deal, rank in zip(
            by_stage[stage_id], await ranks_on_top(stage_id, len(by_stage[stage_id])), strict=True
        ):
            deal.rank = rank
    workspace_id = placed[0][0].workspace_id
    first_number = await reserve_numbers(workspace_id, "deal", len(placed))
    for offset, (deal, _stage) in enumerate(placed):
        deal.number = first_number + offset
    await insert_returning_ids([deal for deal, _stage in placed])
    transitions = [
        StageTransition(
            workspace_id=deal.workspace_id,
            deal_id=deal.id,
            from_stage_id=None,
            to_stage_id=stage.id,
            actor_user_id=actor.user_id if actor else None,
            actor_label=actor_label or (actor.label if actor else None),
        )
        for deal, stage in placed
    ]
    await insert_returning_ids(transitions)
    await enter_first_stages(
        [(transition, stage, deal) for transition, (deal, stage) in zip(transitions, placed, strict=True)]
    )
    handed = await hand_off_events([deal for deal, _stage in placed]) if handing_off else [[] for _ in placed]
    events: list[dict[str, Any]] = []
    for (deal, stage), hand_offs in zip(placed, handed, strict=True):
        events.append(
            {
                "kind": "deal.created",
                "summary": N_("Deal {deal} opened in {stage}", deal=deal.title, stage=stage.name),
                "data": _board_data(deal, toStageId=stage.id, owners=[None, deal.owner_id]),
                "deal_id": deal.id,
                "contact_id": deal.contact_id,
                "company_id": deal.company_id,
                "pipeline_id": deal.pipeline_id,
                "board_sequence": sequences[id(deal)],
                "actor_label": actor_label,
            }
        )
        events += hand_offs
    await record_events(actor, workspace_id, events)


async def open_deal_for_lead(
    actor: Actor | None,
    workspace: Workspace,
    pipeline: Pipeline,
    contact: Contact,
    *,
    title: str,
    label: str | None,
    development_id: int | None = None,
) -> Deal:
    """A captured lead's deal: first stage, owned like its contact (caller's transaction)."""
    stage = await _first_stage(pipeline, ["input", "pipelineId"])
    deal = Deal(
        workspace_id=workspace.id,
        pipeline_id=pipeline.id,
        stage_id=stage.id,
        currency=workspace.currency,
        custom_fields={},
        version=1,
        title=title[:300],
        title_search=title[:300].lower(),
        contact_id=contact.id,
        owner_id=contact.owner_id,
        development_id=development_id,
    )
    _enter(deal, stage, datetime.now(UTC))
    await _insert(actor, deal, stage, actor_label=label)
    return deal


async def _locked_deal(
    ctx: Context, scope: Scope, raw_id: str, field: list[str], *, trashed: bool = False
) -> Deal:
    """The visible deal, live (or trashed), row-locked for the change."""
    if trashed:
        return await named_record(
            ctx, Deal, raw_id, field, live=False, for_update=True, deleted_at__isnull=False
        )
    return await named_record(ctx, Deal, raw_id, field, for_update=True)


def _changes(before: dict[str, Any], deal: Deal) -> dict[str, Any]:
    changes = {}
    for column in TRACKED:
        old, new = before[column], getattr(deal, column)
        if old != new:
            changes[column] = {"from": _jsonable(old), "to": _jsonable(new)}
    return changes


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def _pipeline_id_of(ctx: Context, scope: Scope, raw_id: str, field: list[str]) -> int:
    """The pipeline of a visible deal, trashed or not (its lock comes first)."""
    return (await named_record(ctx, Deal, raw_id, field, live=False)).pipeline_id


async def update_deal(
    ctx: Context, raw_id: str, values: dict[str, Any], expected_version: int | None = None
) -> Deal:
    """Change a deal's fields; it may not empty what its stage requires."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    pipeline_id = await _pipeline_id_of(ctx, scope, raw_id, ["id"])
    try:
        async with board_turn(pipeline_id):
            return await _update(ctx, actor, scope, pipeline_id, raw_id, values, expected_version)
    except _Unchanged as unchanged:
        return unchanged.deal


async def _update(
    ctx: Context,
    actor: Actor,
    scope: Scope,
    pipeline_id: int,
    raw_id: str,
    values: dict[str, Any],
    expected_version: int | None,
) -> Deal:
    async with unit_of_work():
        sequence = await next_board_sequence(pipeline_id)
        deal = await _locked_deal(ctx, scope, raw_id, ["id"])
        _check_version(deal, expected_version)
        before = {c: getattr(deal, c) for c in TRACKED}
        await _apply_fields(ctx, scope, deal, values, ["input"])
        changes = _changes(before, deal)
        if not changes:
            raise _Unchanged(await Deal.get(id=deal.id))
        stage = await Stage.get(id=deal.stage_id)
        check_still_satisfied(deal, stage, ["input"])
        deal.version += 1
        await deal.save()
        await record_event(
            actor,
            actor.workspace_id,
            "deal.updated",
            N_("Deal {deal}: changed {items}", deal=deal.title, items=Listing(_labels(changes))),
            data=_board_data(deal, changes=changes, owners=[before["owner_id"], deal.owner_id]),
            deal_id=deal.id,
            contact_id=deal.contact_id,
            company_id=deal.company_id,
            pipeline_id=deal.pipeline_id,
            board_sequence=sequence,
        )
    return deal


class _Unchanged(Exception):
    """Rolls back the sequence increment of an update that changed nothing."""

    def __init__(self, deal: Deal) -> None:
        self.deal = deal


def _labels(changes: dict[str, Any]) -> list[Any]:
    names = {
        "contact_id": N_("contact"),
        "company_id": N_("company"),
        "owner_id": N_("owner"),
        "development_id": N_("development"),
        "expected_close_date": N_("expected close date"),
        "custom_fields": N_("custom fields"),
    }
    return [names.get(c, c) for c in changes]


def _check_version(deal: Deal, expected: int | None) -> None:
    if expected is not None and expected != deal.version:
        raise DomainError(
            "VERSION_CONFLICT",
            _(
                "The deal changed meanwhile (version {deal_version}, you expected {expected}): reload it and try again.",
                deal_version=deal.version,
                expected=expected,
            ),
            ["input", "expectedVersion"],
        )


async def get_deal(ctx: Context, pk: int) -> Deal | None:
    scope = await scope_of(ctx)
    return await Deal.filter(scope.owner_q(), id=pk).first()


async def set_deal_owner(
    actor: Actor | None, deal_id: int, owner_id: int, *, actor_label: str | None = None
) -> None:
    """Hand a deal to `owner_id` (distribution, reassignment), in the caller's
    transaction, as one UPDATED board event."""
    pipeline_id = (await Deal.filter(id=deal_id).values_list("pipeline_id", flat=True))[0]
    sequence = await next_board_sequence(pipeline_id)
    deal = await Deal.filter(id=deal_id).select_for_update().get()
    before = deal.owner_id
    if before == owner_id:
        return
    deal.owner_id = owner_id
    deal.version += 1
    await deal.save(update_fields=["owner_id", "version", "updated_at"])
    owner = await User.get(id=owner_id)
    await record_event(
        actor,
        deal.workspace_id,
        "deal.updated",
        N_("Deal {deal} handed to {owner}", deal=deal.title, owner=owner.name),
        data=_board_data(
            deal, changes={"owner_id": {"from": before, "to": owner_id}}, owners=[before, owner_id]
        ),
        deal_id=deal.id,
        contact_id=deal.contact_id,
        company_id=deal.company_id,
        pipeline_id=deal.pipeline_id,
        board_sequence=sequence,
        actor_label=actor_label,
    )


async def set_deal_development(
    actor: Actor | None, deal_id: int, development_id: int, *, actor_label: str | None = None
) -> None:
    """Give a deal that has none its development of interest (a returning
    lead's capture names one), in the caller's transaction, as one UPDATED
    board event; a deal that has one keeps it."""
    [(pipeline_id, current)] = await Deal.filter(id=deal_id).values_list("pipeline_id", "development_id")
    if current is not None:
        return  # checked before taking a board sequence, which would leave a gap
    sequence = await next_board_sequence(pipeline_id)
    deal = await Deal.filter(id=deal_id).select_for_update().get()
    if deal.development_id is not None:
        return
    deal.development_id = development_id
    deal.version += 1
    await deal.save(update_fields=["development_id", "version", "updated_at"])
    await record_event(
        actor,
        deal.workspace_id,
        "deal.updated",
        N_("Deal {deal}: changed development", deal=deal.title),
        data=_board_data(
            deal,
            changes={"development_id": {"from": None, "to": development_id}},
            owners=[deal.owner_id, deal.owner_id],
        ),
        deal_id=deal.id,
        contact_id=deal.contact_id,
        company_id=deal.company_id,
        pipeline_id=deal.pipeline_id,
        board_sequence=sequence,
        actor_label=actor_label,
    )
