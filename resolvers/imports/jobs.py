"""The ADMIN use cases of CSV imports: upload a file, map its columns
(saving the mapping by name), run the dry run, start the import, follow
it, and read its row errors and the duplicates its rows met. Imports write any contact of the workspace,
so only administrators run or see them; another workspace's job is
NOT_FOUND, like a random id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any, BinaryIO

from tortoise.transactions import in_transaction

from revgraph.models.crm import Company, Contact
from revgraph.models.imports import ImportChunk, ImportJob, ImportMapping, ImportRowDuplicate, ImportRowError
from revgraph.models.pipeline import Deal
from revgraph.resolvers.bulk_insert import in_list
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.imports.cells import POLICIES, mapping_problems, workbook
from revgraph.resolvers.imports.files import CsvFile
from revgraph.resolvers.imports.kinds import kind_of
from revgraph.resolvers.imports.runner import QUEUED
from revgraph.resolvers.pagination import Page, SortKey, paginate_for
from revgraph.resolvers.validation import required_text

MAX_MAPPINGS = 100


def _workspace(ctx: Context) -> int:
    return ctx.require_admin().workspace_id


async def upload(ctx: Context, filename: str, entity: str, file: BinaryIO) -> ImportJob:
    """Store an uploaded CSV as a job (UPLOADED): encoding and separator
    detected, header read, rows kept in chunks. Parsing runs in a thread,
    one chunk at a time, so the server keeps answering and memory stays flat."""
    workspace_id = _workspace(ctx)
    kind_of(entity)
    name = required_text(filename, ["file"], max_length=255, what=_("The file name"))
    csv_file = await asyncio.to_thread(CsvFile, file)
    job = await ImportJob.create(
        workspace_id=workspace_id,
        created_by_id=ctx.require_actor().user_id,
        entity=entity,
        filename=name,
        encoding="utf-8" if csv_file.encoding == "utf-8-sig" else "windows-1252",
        delimiter=csv_file.delimiter,
        columns=csv_file.columns,
        status="UPLOADING",
    )
    try:
        number = 0
        while rows := await asyncio.to_thread(csv_file.next_chunk):
            await ImportChunk.create(job_id=job.id, number=number, first_row=rows[0][0], rows=rows)
            number += 1
        if csv_file.rows_read == 0:
            raise DomainError("INVALID", _("The file has a header but no data rows."), ["file"])
    except BaseException:
        await job.delete()
        raise
    job.row_count, job.status = csv_file.rows_read, "UPLOADED"
    await job.save(update_fields=["row_count", "status", "updated_at"])
    return job


async def get_job(ctx: Context, raw_id: str | None, field: tuple[str, ...] = ("id",)) -> ImportJob:
    """The workspace's job by global id, or NOT_FOUND on `field`."""
    row = await ImportJob.filter(id=pk_of(raw_id, "ImportJob") or 0, workspace_id=_workspace(ctx)).first()
    if row is None or row.status == "UPLOADING":
        raise NotFound(_("Import"), list(field))
    return row


async def find_job(ctx: Context, pk: int) -> ImportJob | None:
    """A job by primary key for `node`, or None (not an ADMIN's: None too)."""
    actor = ctx.require_actor()
    if not actor.is_admin:
        return None
    return await ImportJob.filter(id=pk, workspace_id=actor.workspace_id).exclude(status="UPLOADING").first()


async def list_jobs(ctx: Context, first: int = 20) -> list[ImportJob]:
    """The workspace's latest imports, newest first."""
    rows = ImportJob.filter(workspace_id=_workspace(ctx)).exclude(status="UPLOADING")
    return list(await rows.order_by("-id").limit(max(1, min(first, 100))))


async def map_columns(ctx: Context, data: Mapping[str, Any]) -> ImportJob:
    """Set a job's column→field mapping and duplicate policy (from `columns`
    or a saved `mappingName`), optionally saving it as `saveAs`. Allowed
    before the import starts; it clears an earlier dry run."""
    workspace_id = _workspace(ctx)
    job = await get_job(ctx, data.get("import_job_id"), ("input", "importJobId"))
    if job.status not in ("UPLOADED", "VALIDATED"):
        raise DomainError(
            "RULE_VIOLATION",
            _("The mapping can change only before the import starts."),
            ["input", "importJobId"],
        )
    policy = data.get("duplicate_policy") or job.duplicate_policy
    if policy not in POLICIES:
        raise DomainError(
            "INVALID",
            _("duplicatePolicy is one of {items}.", items=", ".join(POLICIES)),
            ["input", "duplicatePolicy"],
        )
    if data.get("columns") is not None:
        mapping = {str(c["column"]): str(c["field"]) for c in data["columns"] if c.get("field")}
    elif data.get("mapping_name"):
        saved = await ImportMapping.filter(
            workspace_id=workspace_id, entity=job.entity, name=data["mapping_name"]
        ).first()
        if saved is None:
            raise NotFound(_("Saved mapping"), ["input", "mappingName"])
        mapping = dict(saved.mapping)
    else:
        raise DomainError("INVALID", _("Send columns or a mappingName."), ["input", "columns"])
    kind = kind_of(job.entity)
    book = await workbook(kind, workspace_id, ctx.settings.limits, job.columns, mapping)
    problems = mapping_problems(kind, book, mapping, job.columns)
    if problems:
        raise DomainError.many(problems)
    save_as = data.get("save_as")
    async with in_transaction():
        if save_as:
            name = required_text(save_as, ["input", "saveAs"], max_length=100, what=_("The mapping's name"))
            await _save_mapping(workspace_id, job.entity, name, mapping)
        job.mapping, job.duplicate_policy = mapping, policy
        job.status, job.dry_run, job.cursor = "UPLOADED", None, 0
        await ImportRowError.filter(job_id=job.id, phase="DRY_RUN").delete()
        await ImportRowDuplicate.filter(job_id=job.id, phase="DRY_RUN").delete()
        await job.save()
    return job


async def _save_mapping(workspace_id: int, entity: str, name: str, mapping: dict[str, str]) -> None:
    saved = await ImportMapping.filter(workspace_id=workspace_id, entity=entity, name=name).first()
    if saved is not None:
        saved.mapping = mapping
        await saved.save()
        return
    if await ImportMapping.filter(workspace_id=workspace_id).count() >= MAX_MAPPINGS:
        raise DomainError(
            "LIMIT_EXCEEDED",
            _("A workspace keeps at most {MAX_MAPPINGS} mappings.", MAX_MAPPINGS=MAX_MAPPINGS),
            ["input", "saveAs"],
        )
    await ImportMapping.create(workspace_id=workspace_id, entity=entity, name=name, mapping=mapping)


async def list_mappings(ctx: Context, entity: str | None) -> list[ImportMapping]:
    rows = ImportMapping.filter(workspace_id=_workspace(ctx))
    if entity:
        rows = rows.filter(entity=entity)
    return list(await rows.order_by("name"))


async def _queue(
    ctx: Context, job: ImportJob, status: str, *, allowed: tuple[str, ...], why: str
) -> ImportJob:
    actor = ctx.require_admin()
    async with unit_of_work():
        locked = await ImportJob.filter(id=job.id).select_for_update().get()
        if locked.status not in allowed:
            raise DomainError("RULE_VIOLATION", why, ["importJobId"])
        if not locked.mapping:
            raise DomainError(
                "RULE_VIOLATION", _("Map the columns first (mapImportColumns)."), ["importJobId"]
            )
        locked.status, locked.cursor, locked.failure = status, 0, None
        locked.started_at, locked.finished_at = datetime.now(UTC), None
        await locked.save()
        await record_event(
            actor,
            actor.workspace_id,
            QUEUED,
            N_("Validation of {file} started", file=locked.filename)
            if status == "VALIDATING"
            else N_("Import of {file} started", file=locked.filename),
            data={"jobId": locked.id, "status": status},
        )
    return locked


async def start_dry_run(ctx: Context, raw_id: str) -> ImportJob:
    """Validate every row without writing (VALIDATING, then VALIDATED with
    the counts and the row errors of the DRY_RUN report)."""
    job = await get_job(ctx, raw_id, ("importJobId",))
    return await _queue(
        ctx, job, "VALIDATING", allowed=("UPLOADED", "VALIDATED"), why=_("This import has already started.")
    )


async def start_import(ctx: Context, raw_id: str) -> ImportJob:
    """Import the rows (RUNNING, then COMPLETED); only after a dry run with
    the current mapping, so what it does was shown first."""
    job = await get_job(ctx, raw_id, ("importJobId",))
    return await _queue(
        ctx,
        job,
        "RUNNING",
        allowed=("VALIDATED",),
        why=_("Run the dry run (startImportDryRun) with this mapping first; an import runs once."),
    )


async def row_errors(ctx: Context, job: ImportJob, phase: str) -> AsyncIterator[ImportRowError]:
    """The phase's row errors in row order, read a page at a time."""
    _workspace(ctx)
    async for page in _pages_by_row(ImportRowError, job, phase):
        for row in page:
            yield row


async def _pages_by_row(model: Any, job: ImportJob, phase: str) -> AsyncIterator[list[Any]]:
    """The phase's rows of `model` (row errors, duplicates: one per row) in
    row order, a page of 500 at a time."""
    after = 0
    while True:
        page = await model.filter(job_id=job.id, phase=phase, row__gt=after).order_by("row").limit(500)
        if page:
            yield page
        if len(page) < 500:
            return
        after = page[-1].row


# (job, phase, row) is unique (migration 0034): the row alone orders a page.
DUPLICATE_KEYS = [SortKey("row", kind="int")]
# The record a duplicate matched, by the job's entity: its model, global id
# type, and the columns its name and number are read from.
MATCHED = {
    "CONTACT": (Contact, "Contact", "name", "number"),
    "COMPANY": (Company, "Company", "name", None),
    "DEAL": (Deal, "Deal", "title", "number"),
}


async def duplicates(
    ctx: Context,
    job: ImportJob,
    phase: str,
    *,
    first: int | None = None,
    after: str | None = None,
    with_total: bool = False,
) -> Page:
    """The phase's rows that met a duplicate, in row order, a page at a time."""
    _workspace(ctx)
    rows = ImportRowDuplicate.filter(job_id=job.id, phase=phase)
    return await paginate_for(ctx, rows, DUPLICATE_KEYS, first=first, after=after, with_total=with_total)


async def matched_records(job: ImportJob, ids: list[int]) -> dict[int, tuple[str, int | None]]:
    """Name and number (null for companies) of the records a page of
    duplicates matched, in one query; a record deleted since is missing."""
    model, _type, name, number = MATCHED[job.entity]
    if not ids:
        return {}
    columns = ["id", name] + ([number] if number else [])
    found = await model.filter(workspace_id=job.workspace_id, id__in=in_list(ids)).values_list(*columns)
    return {int(r[0]): (str(r[1]), int(r[2]) if number and r[2] is not None else None) for r in found}


async def duplicate_rows(
    ctx: Context, job: ImportJob, phase: str
) -> AsyncIterator[tuple[ImportRowDuplicate, tuple[str, int | None] | None]]:
    """The phase's duplicates in row order, each with its record's name and
    number (None without a record), read a page at a time."""
    _workspace(ctx)
    async for page in _pages_by_row(ImportRowDuplicate, job, phase):
        records = await matched_records(job, [d.record_id for d in page if d.record_id is not None])
        for found in page:
            yield found, records.get(found.record_id) if found.record_id is not None else None
