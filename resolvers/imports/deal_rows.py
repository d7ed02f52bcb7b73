"""A deal row of a CSV read as createDeal input — pipeline and stage by
name, value in reais as Brazil writes it (`1.250.000,00`), expected close
date `31/12/2026`, owner by e-mail, contact by e-mail or phone, company by
CNPJ, domain or name — and the decision for it.

Stage gates: a row whose stage is not its pipeline's first must pass the
stage's gates (required fields, entry condition, scheduled task, a loss
reason for LOST) exactly as createDeal checks them; the dry run checks
them on the deal as it would be, the import through createDeal itself. A
refusal is the row's error with the gate's message, never a silent skip.

Duplicates: deals have no natural key (two deals of one contact are
normal), so rows are never matched by title or contact. A file from
another system may carry its own id (`externalId`): an import remembers
the deal it made for it (ImportRecordKey), so importing that export again
finds the deal and applies the duplicate policy (OVERWRITE may also move
it to the row's stage, through moveDeal and its gates). Without that
column every row opens a deal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from revgraph.models.crm import Contact
from revgraph.models.imports import ImportRecordKey
from revgraph.models.pipeline import Deal, Pipeline, Stage
from revgraph.resolvers.bulk_insert import in_list, insert_returning_ids
from revgraph.resolvers.companies import normalize_domain
from revgraph.resolvers.contacts import live_contacts_with
from revgraph.resolvers.context import Context
from revgraph.resolvers.deal_moves import move_deal
from revgraph.resolvers.deals import create_deal, create_deals, update_deal
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import decode_id, encode_id
from revgraph.resolvers.imports.cells import (
    Decision,
    ImportKind,
    RowRefused,
    Workbook,
    br_date,
    brl_amount,
    merged_custom,
    owner_id,
    owner_message,
    problem,
    read_row,
    refusal_problems,
)
from revgraph.resolvers.imports.company_rows import Candidates, cnpj_digits, company_candidates, pick_company
from revgraph.resolvers.stage_gates import check_stage_entry
from revgraph.resolvers.validation import normalize_email, normalize_phone, optional_text, required_text

DEAL_FIELDS = {
    "title": N_("Title"),
    "pipeline": N_("Pipeline"),
    "stage": N_("Stage"),
    "value": N_("Value (R$)"),
    "expectedCloseDate": N_("Expected close date"),
    "owner": N_("Owner"),
    "contactEmail": N_("Contact's e-mail"),
    "contactPhone": N_("Contact's phone"),
    "company": N_("Company (CNPJ, website or name)"),
    "lostReason": N_("Lost reason"),
    "externalId": N_("External id"),
}
# What an update may change, by createDeal's input name.
UPDATABLE = ("title", "value", "expected_close_date", "owner_id", "contact_id", "company_id")


class DealImport(ImportKind):
    entity = "DEAL"
    fields = DEAL_FIELDS
    required = ("title",)

    async def prepare(self, book: Workbook) -> None:
        pipelines = await Pipeline.filter(workspace_id=book.workspace_id, archived_at=None).order_by(
            "position", "id"
        )
        stages = await Stage.filter(workspace_id=book.workspace_id, archived_at=None).order_by(
            "position", "id"
        )
        book.lookups["pipelines"] = {p.name.casefold(): p for p in reversed(pipelines)}
        book.lookups["default_pipeline"] = pipelines[0] if pipelines else None
        by_pipeline: dict[int, list[Stage]] = {}
        for stage in stages:
            by_pipeline.setdefault(stage.pipeline_id, []).append(stage)
        book.lookups["stages"] = by_pipeline

    def read_field(self, book: Workbook, data: dict[str, Any], target: str, raw: str) -> None:
        if target == "title":
            data["title"] = required_text(raw, ["title"], max_length=300, what=_("Title"))
        elif target == "pipeline":
            pipeline = book.lookups["pipelines"].get(raw.casefold())
            if pipeline is None:
                raise DomainError("NOT_FOUND", _("Unknown pipeline."), ["pipeline"])
            data["pipeline"] = pipeline
        elif target == "stage":
            data["stage_name"] = raw
        elif target == "value":
            data["value"] = brl_amount(raw, "value")
        elif target == "expectedCloseDate":
            data["expected_close_date"] = br_date(raw, "expectedCloseDate")
        elif target == "owner":
            data["owner_id"] = owner_id(book, raw)
        elif target == "contactEmail":
            data["contact_email"] = normalize_email(raw, ["contactEmail"])
        elif target == "contactPhone":
            data["contact_phone"] = normalize_phone(raw, ["contactPhone"])
        elif target == "company":
            data["company_cell"] = raw
        elif target == "lostReason":
            data["lost_reason"] = optional_text(raw, ["lostReason"], max_length=500, what=_("Lost reason"))
        elif target == "externalId":
            data["external_id"] = required_text(raw, ["externalId"], max_length=200, what=_("External id"))

    def message(self, target: str, raw: str, error: DomainError) -> str:
        if target == "title":
            if not raw:
                return _("Blank title.")
            return _("Invalid title (up to 300 characters, one line): {raw!r}.", raw=raw)
        if target == "pipeline":
            return _("Unknown pipeline: {raw!r}.", raw=raw)
        if target == "value":
            return _("Invalid value: {raw!r} (in reais, e.g. 1.250.000,00).", raw=raw)
        if target == "expectedCloseDate":
            return _("Invalid date: {raw!r} (e.g. 31/12/2026).", raw=raw)
        if target == "owner":
            return owner_message(raw)
        if target == "contactEmail":
            return _("Invalid contact e-mail: {raw!r}.", raw=raw)
        if target == "contactPhone":
            return _("Invalid contact phone: {raw!r} (include the area code).", raw=raw)
        return super().message(target, raw, error)

    async def _read_batch(
        self, book: Workbook, rows: Sequence[Sequence[str]]
    ) -> list[tuple[dict[str, Any], list[dict[str, Any]], Deal | None]]:
        """Each row as createDeal's input (global ids), names resolved, its
        problems, and the live deal its externalId names; the contacts,
        companies and deals a batch names are looked up together (one query
        per key: e-mail, phone, CNPJ, domain, name, external id)."""
        read = [read_row(self, book, cells) for cells in rows]
        column = {target: name for _, name, target in book.columns}
        contacts = await live_contacts_with(
            book.workspace_id,
            [data["contact_email"] for data, _ in read if data.get("contact_email")],
            [data["contact_phone"] for data, _ in read if data.get("contact_phone")],
        )
        companies = await company_candidates(
            book.workspace_id,
            [_company_key(data["company_cell"]) for data, _ in read if data.get("company_cell")],
        )
        existing = await _deals_of(
            book.workspace_id, [data["external_id"] for data, _ in read if data.get("external_id")]
        )
        out = []
        for data, problems in read:
            self._resolve(book, column, data, problems, contacts, companies)
            out.append((data, problems, existing.get(data.get("external_id") or "")))
        return out

    def _resolve(
        self,
        book: Workbook,
        column: dict[str, str],
        data: dict[str, Any],
        problems: list[dict[str, Any]],
        contacts: list[Contact],
        companies: Candidates,
    ) -> None:
        """Resolve a read row's names (pipeline, stage, contact, company) in place."""
        pipeline = data.pop("pipeline", None) or book.lookups["default_pipeline"]
        stages = book.lookups["stages"].get(pipeline.id, []) if pipeline else []
        stage_name = data.pop("stage_name", None)
        stage = stages[0] if stages else None
        if stage_name:
            stage = next((s for s in stages if s.name.casefold() == stage_name.casefold()), None)
            if stage is None and pipeline is not None:
                names = ", ".join(s.name for s in stages)
                problems.append(
                    problem(
                        "NOT_FOUND",
                        "stage",
                        column.get("stage"),
                        _(
                            "Unknown stage in the pipeline {pipeline}: {stage!r} (use: {names}).",
                            pipeline=pipeline.name,
                            stage=stage_name,
                            names=names,
                        ),
                    )
                )
        if pipeline is None:
            problems.append(
                problem("NOT_FOUND", "pipeline", column.get("pipeline"), _("The workspace has no pipeline."))
            )
        elif not stages:
            problems.append(
                problem(
                    "NOT_FOUND",
                    "stage",
                    column.get("stage"),
                    _("The pipeline {pipeline} has no stages.", pipeline=pipeline.name),
                )
            )
        email, phone = data.pop("contact_email", None), data.pop("contact_phone", None)
        if email or phone:
            # matching_contacts' rule: the e-mail's match first, else the phone's.
            found = [c for c in contacts if (email and c.email == email) or (phone and c.phone == phone)]
            found.sort(key=lambda c: not (email and c.email == email))
            if found:
                data["contact_id"] = encode_id("Contact", found[0].id)
            else:
                which = "contactEmail" if email else "contactPhone"
                problems.append(
                    problem(
                        "NOT_FOUND",
                        which,
                        column.get(which),
                        _("Contact not found: {raw!r} (import the contacts first).", raw=email or phone),
                    )
                )
        cell = data.pop("company_cell", None)
        if cell:
            company = pick_company(_company_key(cell), companies)
            if company is None:
                problems.append(
                    problem(
                        "NOT_FOUND",
                        "company",
                        column.get("company"),
                        _("Company not found: {raw!r} (import the companies first).", raw=cell),
                    )
                )
            else:
                data["company_id"] = encode_id("Company", company.id)
        if pipeline is not None:
            data["pipeline"], data["stage"] = pipeline, stage
        if "value" in data:
            data["currency"] = "BRL"

    async def decide(self, book: Workbook, cells: Sequence[str], policy: str) -> Decision:
        (decision,) = await self.decide_batch(book, [cells], policy)
        return decision

    async def decide_batch(
        self, book: Workbook, rows: Sequence[Sequence[str]], policy: str
    ) -> list[Decision]:
        """`decide` for a batch, its names looked up together (_read_batch)."""
        return [
            await _decision(book, data, problems, existing, policy)
            for data, problems, existing in await self._read_batch(book, rows)
        ]

    async def create_many(
        self, ctx: Context, book: Workbook, decisions: Sequence[Decision]
    ) -> list[list[dict[str, Any]] | None]:
        """create_deals: createDeal's own checks and gates, written in a few
        statements; the deals made for external ids are remembered. (Deals
        have no duplicate key but the externalId: `keys_written` is the
        base's.)"""
        created = await create_deals(ctx, [_deal_input(decision.changes) for decision in decisions])
        out: list[list[dict[str, Any]] | None] = []
        remembered: list[tuple[str, int]] = []
        for decision, result in zip(decisions, created, strict=True):
            data = decision.changes
            if isinstance(result, DomainError):
                out.append(_refusal(self, data.get("stage"), result))
                continue
            out.append(None)
            if data.get("external_id"):
                remembered.append((data["external_id"], result.id))
        await _remember(book.workspace_id, remembered)
        return out

    async def apply(self, ctx: Context, book: Workbook, decision: Decision) -> None:
        data = decision.changes
        try:
            if decision.action == "create":
                deal = await create_deal(ctx, _deal_input(data))
                if data.get("external_id"):
                    await _remember(book.workspace_id, [(data["external_id"], deal.id)])
            elif decision.action == "update":
                raw_id = encode_id("Deal", decision.record.id)
                # The stage stays in `data`: a gate's refusal below names it.
                stage = data.get("stage")
                fields = {k: v for k, v in data.items() if k not in ("stage", "lost_reason")}
                if stage is not None:
                    patch = fields
                    await move_deal(
                        ctx,
                        {
                            "deal_id": raw_id,
                            "stage_id": encode_id("Stage", stage.id),
                            "patch": patch or None,
                            "lost_reason": data.get("lost_reason"),
                        },
                    )
                else:
                    await update_deal(ctx, raw_id, fields)
        except DomainError as error:
            stage = data.get("stage")
            if stage is not None and _is_gate(error):
                raise RowRefused(_gate_problems(stage, error)) from error
            raise


async def _decision(
    book: Workbook, data: dict[str, Any], problems: list[dict[str, Any]], existing: Deal | None, policy: str
) -> Decision:
    """What to do with a read row (see the module). A row refused by a
    gate keeps its external id's key: in an import, an earlier row of its
    batch that opens that deal makes it an update, decided again."""
    external = data.get("external_id")
    keys = [f"external:{external}"] if external else []
    if problems:
        return Decision("error", problems=problems)
    if existing is None:
        refusal = await _gate_refusal(book, data)
        if refusal:
            return Decision("error", problems=refusal, keys=keys, unless_duplicate=True)
        return Decision("create", changes=data, keys=keys)
    if policy == "SKIP":
        return Decision("skip", record=existing, keys=keys)
    if data["pipeline"].id != existing.pipeline_id:
        return Decision(
            "error",
            problems=[
                problem(
                    "RULE_VIOLATION",
                    "pipeline",
                    None,
                    _(
                        "The deal {external!r} is in another pipeline; an import does not move it.",
                        external=external,
                    ),
                )
            ],
        )
    changes = _changes(existing, data, overwrite=policy == "OVERWRITE")
    if policy == "OVERWRITE" and data["stage"].id != existing.stage_id:
        changes["stage"] = data["stage"]
        if data.get("lost_reason"):
            changes["lost_reason"] = data["lost_reason"]
    return Decision("update" if changes else "skip", changes=changes, record=existing, keys=keys)


def _refusal(kind: ImportKind, stage: Stage | None, error: DomainError) -> list[dict[str, Any]]:
    """createDeal's refusal as the row's problems (a gate's with its stage's name)."""
    if stage is not None and _is_gate(error):
        return _gate_problems(stage, error)
    return refusal_problems(kind, error)


def _deal_input(data: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k not in ("pipeline", "stage", "external_id")}
    values["pipeline_id"] = encode_id("Pipeline", data["pipeline"].id)
    if data.get("stage") is not None:
        values["stage_id"] = encode_id("Stage", data["stage"].id)
    return values


def _company_key(cell: str) -> dict[str, Any]:
    """What a deal's company cell names a company by: a CNPJ, else a domain
    or website, else a name (company_rows' rule then finds it)."""
    try:
        return {"cnpj": cnpj_digits(cell)}
    except DomainError:
        pass
    if "." in cell and " " not in cell.strip():
        try:
            return {"domain": normalize_domain(cell)}
        except DomainError:
            pass
    return {"name": cell}


async def _deals_of(workspace_id: int, external_ids: Sequence[str]) -> dict[str, Deal]:
    """The live deals the imports made for these external ids, by id."""
    if not external_ids:
        return {}
    keys = await ImportRecordKey.filter(
        workspace_id=workspace_id, entity="DEAL", key__in=in_list(external_ids)
    ).values_list("key", "record_id")
    record_of = {str(key): int(record) for key, record in keys}
    if not record_of:
        return {}
    deals = await Deal.filter(id__in=in_list(record_of.values()), workspace_id=workspace_id, deleted_at=None)
    by_id = {deal.id: deal for deal in deals}
    return {key: by_id[record] for key, record in record_of.items() if record in by_id}


async def _remember(workspace_id: int, made: Sequence[tuple[str, int]]) -> None:
    """The deals made for external ids (a trashed deal's key moves on to
    the new one): one lookup, one INSERT for the new keys."""
    if not made:
        return
    held = set(
        await ImportRecordKey.filter(
            workspace_id=workspace_id, entity="DEAL", key__in=in_list(k for k, _ in made)
        ).values_list("key", flat=True)
    )
    for key, deal_id in made:
        if key in held:
            await ImportRecordKey.filter(workspace_id=workspace_id, entity="DEAL", key=key).update(
                record_id=deal_id
            )
    await insert_returning_ids(
        [
            ImportRecordKey(workspace_id=workspace_id, entity="DEAL", key=key, record_id=deal_id)
            for key, deal_id in made
            if key not in held
        ]
    )


async def _gate_refusal(book: Workbook, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The gates createDeal would refuse the row by, on the deal as it would
    be (no write): the dry run shows them, the import meets them again."""
    stage: Stage = data["stage"]
    first = book.lookups["stages"][data["pipeline"].id][0]
    if stage.id == first.id:
        return []

    def pk(name: str) -> int | None:
        return decode_id(data[name])[1] if data.get(name) else None

    deal = Deal(
        workspace_id=book.workspace_id,
        pipeline_id=stage.pipeline_id,
        stage_id=stage.id,
        title=data.get("title", ""),
        value=data.get("value"),
        currency="BRL",
        status=stage.kind,
        contact_id=pk("contact_id"),
        company_id=pk("company_id"),
        owner_id=pk("owner_id"),
        expected_close_date=data.get("expected_close_date"),
        lost_reason=data.get("lost_reason"),
        custom_fields=data.get("custom_fields") or {},
        created_at=datetime.now(UTC),
    )
    try:
        await check_stage_entry(
            deal,
            stage,
            lost_reason=data.get("lost_reason"),
            field_prefix=["input"],
            stage_field=["input", "stageId"],
        )
    except DomainError as error:
        return _gate_problems(stage, error)
    return []


def _is_gate(error: DomainError) -> bool:
    return any(p.code in ("REQUIRED_FIELD_MISSING", "RULE_VIOLATION") for p in error.problems)


def _gate_problems(stage: Stage, error: DomainError) -> list[dict[str, Any]]:
    return [
        problem(
            p.code,
            (p.field or ["stage"])[-1].removesuffix("Id"),
            None,
            _("The stage {stage} refused the deal: {message}", stage=stage.name, message=p.message),
            p.rule,
        )
        for p in error.problems
    ]


def _changes(deal: Deal, data: Mapping[str, Any], *, overwrite: bool) -> dict[str, Any]:
    """updateDeal's input: the row's values where the deal differs
    (OVERWRITE) or holds nothing yet (UPDATE_EMPTY)."""

    def ref(model: str, pk: int | None) -> str | None:
        return encode_id(model, pk) if pk else None

    current = {
        "title": deal.title,
        "value": deal.value,
        "expected_close_date": deal.expected_close_date,
        "owner_id": ref("User", deal.owner_id),
        "contact_id": ref("Contact", deal.contact_id),
        "company_id": ref("Company", deal.company_id),
    }
    changes: dict[str, Any] = {
        key: data[key]
        for key in UPDATABLE
        if key in data and current[key] != data[key] and (overwrite or current[key] is None)
    }
    if "value" in changes:
        changes["currency"] = "BRL"
    custom = merged_custom(deal.custom_fields, data.get("custom_fields"), overwrite=overwrite)
    if custom is not None:
        changes["custom_fields"] = custom
    return changes
