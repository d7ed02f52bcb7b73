"""Running a job's file in batches: the dry run (no writes but its report)
and the import, through the entity's create/update use cases (contacts,
companies, deals: resolvers/imports/*_rows.py) so dedupe, validation,
stage gates and the timeline's events are the API's own.

A batch is BATCH_ROWS rows in one transaction: its records, its row
errors, the duplicates its rows met (one INSERT each), the job's counts
and its cursor (the last row done) commit together, so a restarted job
(a lost message, a killed worker) resumes after the last committed batch
and writes no row twice. Between batches the loop yields, so the
API keeps answering; no transaction ever spans the file.

A batch takes its rows as stored when it holds the job's lock: a row an
LGPD erasure blanked meanwhile (resolvers/lgpd/copies.py) is refused
(ERASED), so an import never creates an erased person again."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from revgraph.models.identity import User
from revgraph.models.imports import ImportChunk, ImportJob, ImportRowDuplicate, ImportRowError
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.events import record_event, unit_of_work, workspace_locale
from revgraph.resolvers.i18n import N_, _, set_language
from revgraph.resolvers.imports import file_keys
from revgraph.resolvers.imports.cells import (
    Decision,
    ImportKind,
    Workbook,
    changed_fields,
    problem,
    workbook,
)
from revgraph.resolvers.imports.kinds import kind_of
from revgraph.resolvers.lgpd.subject import REMOVED
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)
QUEUED = "import.queued"
FINISHED = "import.finished"
STALLED_AFTER = timedelta(minutes=2)
ABANDONED_AFTER = timedelta(hours=1)
# Rows per transaction: short enough that on SQLite (one writer, and one
# connection that requests wait on during a transaction) the API answers
# within a batch's time (about 0.2 s for 200 contacts on a quiet machine),
# long enough that a batch's few statements serve many rows.
BATCH_ROWS = 200
PHASES = {"VALIDATING": ("DRY_RUN", "VALIDATED"), "RUNNING": ("RUN", "COMPLETED")}


async def run_job(settings: Settings, job_id: int) -> None:
    """Work the job's current phase to its end; safe to run again or twice
    at once (each batch checks the cursor it started from under a lock)."""
    job = await ImportJob.filter(id=job_id).first()
    if job is None or job.status not in PHASES:
        return
    phase, done = PHASES[job.status]
    importer = await User.filter(id=job.created_by_id or 0, active=True, role="ADMIN").first()
    # The report's row errors are read by the importer: in their language.
    set_language(
        importer.locale if importer and importer.locale else await workspace_locale(job.workspace_id)
    )
    if importer is None:
        await _finish(
            job, None, "FAILED", _("Whoever started the import is no longer an active administrator.")
        )
        return
    ctx = Context(settings=settings, actor=Actor(job.workspace_id, importer.id, importer.role))
    kind = kind_of(job.entity)
    book = await workbook(kind, job.workspace_id, settings.limits, job.columns, job.mapping)
    if phase == "DRY_RUN" and job.cursor == 0:
        # A dry run from the top forgets what an earlier one left (under
        # the job's lock: a run that already moved the cursor is kept).
        async with in_transaction():
            locked = await ImportJob.filter(id=job.id).select_for_update().first()
            if locked is None or locked.status != job.status or locked.cursor != 0:
                return
            await ImportRowError.filter(job_id=job.id, phase=phase).delete()
            await ImportRowDuplicate.filter(job_id=job.id, phase=phase).delete()
            await file_keys.forget(job.id)
            locked.dry_run = _empty_counts()
            await locked.save()
        job.dry_run = _empty_counts()
    while (chunk := await _chunk_after(job.id, job.cursor)) is not None:
        pending = [row for row in chunk.rows if row[0] > job.cursor]
        for start in range(0, len(pending), BATCH_ROWS):
            moved = await _batch(ctx, kind, book, job, pending[start : start + BATCH_ROWS], phase)
            if not moved:
                return  # another run took the job over
            # Let waiting requests in (SQLite runs one transaction at a time).
            await asyncio.sleep(0)
    if phase == "DRY_RUN":
        await file_keys.forget(job.id)
    await _finish(job, ctx.actor, done, None)


async def _chunk_after(job_id: int, cursor: int) -> ImportChunk | None:
    """The stored chunk holding the first row past `cursor`."""
    holding = await ImportChunk.filter(job_id=job_id, first_row__lte=cursor).order_by("-first_row").first()
    if holding is not None and holding.rows[-1][0] > cursor:
        return holding
    return await ImportChunk.filter(job_id=job_id, first_row__gt=cursor).order_by("first_row").first()


def _empty_counts() -> dict[str, int]:
    return {"valid": 0, "invalid": 0, "create": 0, "update": 0, "skip": 0}


async def _batch(
    ctx: Context, kind: ImportKind, book: Workbook, job: ImportJob, rows: list[list[Any]], phase: str
) -> bool:
    """One batch of rows in one transaction; False when the job is no longer at
    the cursor this run read (nothing of the batch is kept then). A batch
    that a concurrent writer broke (a unique index refused a row that was
    free when the batch looked: the whole transaction is gone) is done
    again a row per transaction, each decided afresh."""
    try:
        return await _batch_once(ctx, kind, book, job, rows, phase)
    except IntegrityError:
        if len(rows) == 1:
            raise
        log.warning("import %s: a row of the batch after row %s was taken meanwhile", job.id, job.cursor)
    for row in rows:
        if not await _batch_once(ctx, kind, book, job, [row], phase):
            return False
    return True


async def _batch_once(
    ctx: Context, kind: ImportKind, book: Workbook, job: ImportJob, rows: list[list[Any]], phase: str
) -> bool:
    start = job.cursor
    async with unit_of_work():
        locked = await ImportJob.filter(id=job.id).select_for_update().first()
        if locked is None or locked.cursor != start or locked.status != job.status:
            return False
        rows = await _as_stored(job.id, rows)
        erased = [_erased(cells) for _, cells in rows]
        kept = [cells for (_, cells), gone in zip(rows, erased, strict=True) if not gone]
        errors: list[ImportRowError] = []
        duplicates: list[ImportRowDuplicate] = []
        counts: dict[str, int] = {}
        decided: list[tuple[int, list[str], Decision]] = []
        outcomes: list[tuple[str, list[dict[str, Any]], int | None]] = []
        if phase == "RUN":
            # Each row meets what the rows before it (in this batch too) wrote.
            done = iter(await kind.import_batch(ctx, book, kept, job.duplicate_policy) if kept else [])
            for (number, cells), gone in zip(rows, erased, strict=True):
                decision, action, problems = _erased_outcome() if gone else next(done)
                decided.append((number, cells, decision))
                outcomes.append((action, problems, None))
        else:
            # Nothing is written between rows: duplicates looked up per batch.
            decisions = iter(await kind.decide_batch(book, kept, job.duplicate_policy) if kept else [])
            decided = [
                (number, cells, _erased_outcome()[0] if gone else next(decisions))
                for (number, cells), gone in zip(rows, erased, strict=True)
            ]
            outcomes = await _dry_run_outcomes(job, decided)
        for (number, cells, decision), (action, problems, earlier) in zip(decided, outcomes, strict=True):
            counts[action] = counts.get(action, 0) + 1
            if problems:
                errors.append(
                    ImportRowError(job_id=job.id, phase=phase, row=number, values=cells, problems=problems)
                )
            met = _duplicate(job.id, phase, number, decision, action, earlier)
            if met is not None:
                duplicates.append(met)
        if errors:
            await ImportRowError.bulk_create(errors)
        if duplicates:
            await ImportRowDuplicate.bulk_create(duplicates)
        locked.cursor = rows[-1][0]
        if phase == "DRY_RUN":
            totals = dict(locked.dry_run or _empty_counts())
            for action, count in counts.items():
                totals[action] = totals.get(action, 0) + count
            totals["invalid"] = totals.pop("error", 0) + totals.get("invalid", 0)
            totals["valid"] = totals["create"] + totals["update"] + totals["skip"]
            locked.dry_run = totals
        else:
            locked.created_count += counts.get("create", 0)
            locked.updated_count += counts.get("update", 0)
            locked.skipped_count += counts.get("skip", 0)
            locked.failed_count += counts.get("error", 0)
        await locked.save()
    job.cursor, job.dry_run = locked.cursor, locked.dry_run
    return True


async def _as_stored(job_id: int, rows: list[list[Any]]) -> list[list[Any]]:
    """The batch's rows as stored now, read under the job's lock: an
    erasure (LGPD) may have blanked some since the chunk was read."""
    chunk = await ImportChunk.filter(job_id=job_id, first_row__lte=rows[0][0]).order_by("-first_row").first()
    stored = {number: cells for number, cells in (chunk.rows if chunk is not None else [])}
    return [[number, stored.get(number, cells)] for number, cells in rows]


def _erased(cells: list[Any]) -> bool:
    """A row an erasure (LGPD) blanked: every filled cell is "[removido]"."""
    filled = [c for c in cells if isinstance(c, str) and c.strip()]
    return bool(filled) and all(c == REMOVED for c in filled)


def _erased_outcome() -> tuple[Decision, str, list[dict[str, Any]]]:
    """An erased row is refused, never imported: it must not bring the
    person back (resolvers/lgpd/copies.py)."""
    problems = [
        problem(
            "ERASED",
            "row",
            None,
            _(
                "This row's personal data was erased at the data subject's request (LGPD): it is not imported."
            ),
        )
    ]
    return Decision("error", problems=problems), "error", problems


def _duplicate(
    job_id: int, phase: str, row: int, decision: Decision, action: str, earlier: int | None
) -> ImportRowDuplicate | None:
    """The record of a row that met a duplicate (updated or skipped): the
    record it matched and the fields an update changes, or (dry run) the
    earlier row of the file that creates its record; None for other rows."""
    if action not in ("update", "skip"):
        return None
    if earlier is not None:
        # What the earlier row creates is not known field by field yet.
        return ImportRowDuplicate(
            job_id=job_id,
            phase=phase,
            row=row,
            action=action.upper(),
            earlier_row=earlier,
            changed_fields=None if action == "update" else [],
        )
    if decision.record is None:
        return None
    return ImportRowDuplicate(
        job_id=job_id,
        phase=phase,
        row=row,
        action=action.upper(),
        record_id=decision.record.id,
        changed_fields=changed_fields(decision.record, decision.changes) if action == "update" else [],
    )


async def _dry_run_outcomes(
    job: ImportJob, decided: list[tuple[int, list[str], Decision]]
) -> list[tuple[str, list[dict[str, Any]], int | None]]:
    """What the import would do with each row, counting the file's own
    duplicates: a later row meets the record an earlier row creates (found
    through file_keys, one batch's keys in memory); such a row's outcome
    carries that earlier row."""
    creating = [d.looks_for for _, _, d in decided if d.action == "create" or d.unless_duplicate]
    seen = await file_keys.batch_keys(job.id, [k for keys in creating for k in keys])
    out: list[tuple[str, list[dict[str, Any]], int | None]] = []
    for number, _row, decision in decided:
        if (decision.action == "create" or decision.unless_duplicate) and decision.keys:
            earlier = seen.first_row(decision.looks_for)
            if earlier is not None:
                out.append(("skip" if job.duplicate_policy == "SKIP" else "update", [], earlier))
                continue
            if decision.action == "create":
                seen.remember(decision.keys, number)
        out.append((decision.action, decision.problems if decision.action == "error" else [], None))
    await seen.save()
    return out


async def _finish(job: ImportJob, actor: Actor | None, status: str, failure: str | None) -> None:
    async with unit_of_work():
        locked = await ImportJob.filter(id=job.id).select_for_update().get()
        if locked.status not in PHASES:
            return
        locked.status, locked.failure = status, failure
        locked.finished_at = datetime.now(UTC)
        await locked.save()
        if status in ("COMPLETED", "FAILED"):
            await record_event(
                actor,
                locked.workspace_id,
                FINISHED,
                N_(
                    "Import of {file}: {created} created, {updated} updated, {skipped} skipped, {failed} failed",
                    file=locked.filename,
                    created=locked.created_count,
                    updated=locked.updated_count,
                    skipped=locked.skipped_count,
                    failed=locked.failed_count,
                )
                if not failure
                else N_(
                    "Import of {file}: {created} created, {updated} updated, {skipped} skipped, {failed} failed ({failure})",
                    file=locked.filename,
                    created=locked.created_count,
                    updated=locked.updated_count,
                    skipped=locked.skipped_count,
                    failed=locked.failed_count,
                    failure=failure,
                ),
                data={"jobId": locked.id, "status": status},
            )
    log.info("import %s %s", job.id, status)


async def stalled_jobs(now: datetime | None = None) -> list[int]:
    """Jobs in a phase that made no progress for STALLED_AFTER: their
    message was lost (an embedded server restarted, a worker died)."""
    cutoff = (now or datetime.now(UTC)) - STALLED_AFTER
    rows = ImportJob.filter(status__in=list(PHASES), updated_at__lt=cutoff)
    return list(await rows.values_list("id", flat=True))


async def drop_abandoned_uploads(now: datetime | None = None) -> int:
    """Delete uploads a dying server left half-stored (never shown)."""
    cutoff = (now or datetime.now(UTC)) - ABANDONED_AFTER
    return await ImportJob.filter(status="UPLOADING", updated_at__lt=cutoff).delete()
