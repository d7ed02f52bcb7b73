"""GraphQL surface of CSV imports ("Layout de Importação"). The file is
uploaded over HTTP (POST /imports, multipart); here its columns are mapped,
the dry run and the import are started, and progress, row errors and the
duplicates rows met are read. ADMIN only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers.errors import NotFound
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.imports import jobs
from revgraph.resolvers.imports.kinds import kind_of
from revgraph.schema.common import Node, UserError, ctx_of, input_dict, payload_mutation, query, selects
from revgraph.schema.connections import Connection, build
from revgraph.schema.permissions import ADMIN

MAX_ROW_ERRORS = 100


@strawberry.enum(description="What an import creates.")
class ImportEntity(Enum):
    CONTACT = strawberry.enum_value("CONTACT", description="Contacts (people).")
    COMPANY = strawberry.enum_value(
        "COMPANY",
        description="Companies; duplicates: same CNPJ, else same domain, else (without either) same name.",
    )
    DEAL = strawberry.enum_value(
        "DEAL",
        description="Deals, through createDeal's stage gates; duplicates only by an externalId column.",
    )


@strawberry.enum(description="Where an import stands.")
class ImportStatus(Enum):
    UPLOADED = strawberry.enum_value("UPLOADED", description="Stored; map its columns, then run the dry run.")
    VALIDATING = strawberry.enum_value(
        "VALIDATING", description="The dry run is reading the rows (no writes)."
    )
    VALIDATED = strawberry.enum_value(
        "VALIDATED", description="The dry run finished: see `dryRun` and its row errors; startImport runs it."
    )
    RUNNING = strawberry.enum_value("RUNNING", description="Importing, batch by batch.")
    COMPLETED = strawberry.enum_value("COMPLETED", description="Every row was imported, skipped or refused.")
    FAILED = strawberry.enum_value("FAILED", description="Stopped; `failure` says why (pt-BR).")


@strawberry.enum(
    description="What a row that duplicates a live record does (contacts: same e-mail, else same phone; companies: same CNPJ, else domain, else name; deals: same externalId)."
)
class ImportDuplicatePolicy(Enum):
    SKIP = strawberry.enum_value("SKIP", description="Leave the record as it is.")
    UPDATE_EMPTY = strawberry.enum_value(
        "UPDATE_EMPTY",
        description="Fill only the record's empty fields (and custom fields it lacks); never moves a deal.",
    )
    OVERWRITE = strawberry.enum_value(
        "OVERWRITE",
        description="Write every mapped, non-blank cell over the record (a deal also moves to the row's stage, through its gates).",
    )


@strawberry.enum(description="Which run of the file a row error belongs to.")
class ImportPhase(Enum):
    DRY_RUN = strawberry.enum_value("DRY_RUN", description="The dry run (nothing was written).")
    RUN = strawberry.enum_value("RUN", description="The import itself.")


@strawberry.type(description="One column of the file and the field it fills.")
class ImportColumnMapping:
    column: str = strawberry.field(description="The column's header, as in the file.")
    field: str = strawberry.field(
        description="The field, as importFields(entity) lists it (e.g. a contact's name, email, phone, owner as a user's e-mail), or customFields.<key>."
    )


@strawberry.type(description="What the dry run found: what the import would do with the rows.")
class ImportDryRunSummary:
    valid: int = strawberry.field(description="Rows without errors.")
    invalid: int = strawberry.field(
        description="Rows with errors (see rowErrors(phase: DRY_RUN)); the import refuses them."
    )
    to_create: int = strawberry.field(description="Rows that would create a record.")
    to_update: int = strawberry.field(description="Rows that duplicate a record and would update it.")
    to_skip: int = strawberry.field(
        description="Rows that duplicate a record and would leave it (or change nothing)."
    )


@strawberry.type(description="One problem of a row.")
class ImportRowProblem:
    code: str = strawberry.field(
        description="INVALID, NOT_FOUND, REQUIRED_FIELD_MISSING, DUPLICATE, or ERASED (the row names a person erased under the LGPD since the file was uploaded: refused, not imported)."
    )
    field: str = strawberry.field(description="The field it concerns (as in the mapping).")
    column: str | None = strawberry.field(description="The file's column it came from.")
    message: str = strawberry.field(description="What to fix, in pt-BR.")
    rule: str | None = strawberry.field(
        default=None,
        description="The stable machine name of the rule that refused (as UserError.rule, e.g. stage.entry_condition); null when none.",
    )


@strawberry.type(description="A refused row.")
class ImportRowError:
    row: int = strawberry.field(description="Its row in the spreadsheet (the header is row 1).")
    values: list[str] = strawberry.field(description="Its cells as read.")
    problems: list[ImportRowProblem] = strawberry.field(description="Why it was refused.")


@strawberry.enum(description="What a row that duplicates a record does with it.")
class ImportDuplicateAction(Enum):
    UPDATE = strawberry.enum_value("UPDATE", description="Updates the record (see changedFields).")
    SKIP = strawberry.enum_value(
        "SKIP", description="Leaves the record as it is (policy SKIP, or nothing to change)."
    )


@strawberry.type(description="A row that duplicates a record: what it does with it, and which record.")
class ImportRowDuplicate:
    row: int = strawberry.field(description="Its row in the spreadsheet (the header is row 1).")
    action: ImportDuplicateAction = strawberry.field(description="What it does with the record.")
    changed_fields: list[str] | None = strawberry.field(
        description="For UPDATE, the record's fields it changes (as the API names them; custom fields as customFields.<key>); empty for SKIP; null when not known before the import (a duplicate of an earlier row of the file)."
    )
    record_id: strawberry.ID | None = strawberry.field(
        description="Global id of the record it matched (a Contact, Company or Deal, as the job's entity); null when it duplicates an earlier row of the file (see earlierRow)."
    )
    record_name: str | None = strawberry.field(
        description="The record's name (a deal's title) as it is now; null when there is no record (or it was deleted since)."
    )
    record_number: int | None = strawberry.field(
        description="The record's number (contacts and deals); null for companies and when there is no record."
    )
    earlier_row: int | None = strawberry.field(
        description="Dry run only: the earlier row of the file that creates the record this row duplicates; null otherwise."
    )


@strawberry.type(
    name="ImportRowDuplicateConnection",
    description="A page of the rows that met a duplicate, in row order.",
)
class ImportRowDuplicateConnection(Connection[ImportRowDuplicate]):
    pass


@strawberry.type(description="An uploaded CSV file and its import. ADMIN only.")
class ImportJob(Node):
    filename: str = strawberry.field(description="The uploaded file's name.")
    entity: ImportEntity = strawberry.field(description="What it imports.")
    encoding: str = strawberry.field(description='Detected: "utf-8" (BOM or not) or "windows-1252".')
    delimiter: str = strawberry.field(description='Detected separator: ";" or ",".')
    columns: list[str] = strawberry.field(description="The header's columns, in order.")
    row_count: int = strawberry.field(description="Data rows (blank lines not counted); at most 200,000.")
    mapping: list[ImportColumnMapping] = strawberry.field(
        description="The mapped columns; unmapped ones are ignored."
    )
    duplicate_policy: ImportDuplicatePolicy = strawberry.field(description="What duplicates do.")
    status: ImportStatus = strawberry.field(description="Where it stands.")
    processed_rows: int = strawberry.field(
        description="Rows the current run (dry run or import) has finished."
    )
    dry_run: ImportDryRunSummary | None = strawberry.field(
        description="The dry run's counts; null before it runs."
    )
    created_count: int = strawberry.field(description="Records created by the import.")
    updated_count: int = strawberry.field(description="Duplicates updated by the import.")
    skipped_count: int = strawberry.field(description="Duplicates left as they were.")
    failed_count: int = strawberry.field(
        description="Rows refused by the import (see rowErrors(phase: RUN))."
    )
    failure: str | None = strawberry.field(description="Why it FAILED (pt-BR); null otherwise.")
    error_report_url: str = strawberry.field(
        description="Path of the error report CSV (GET with the bearer token; add ?phase=DRY_RUN for the dry run's)."
    )
    duplicate_report_url: str = strawberry.field(
        description="Path of the duplicates CSV, the rows `duplicates` lists (GET with the bearer token; add ?phase=DRY_RUN for the dry run's)."
    )
    started_at: datetime | None = strawberry.field(description="When the current run started.")
    finished_at: datetime | None = strawberry.field(description="When the current run finished.")
    created_at: datetime = strawberry.field(description="When the file was uploaded.")
    row: strawberry.Private[Any]

    @strawberry.field(
        description=f"Refused rows of a run, in row order; at most {MAX_ROW_ERRORS} (the error report has all)."
    )
    async def row_errors(
        self, info: Info, phase: ImportPhase = ImportPhase.RUN, first: int = 20
    ) -> list[ImportRowError]:
        out: list[ImportRowError] = []
        async for error in jobs.row_errors(ctx_of(info), self.row, phase.value):
            if len(out) >= max(0, min(first, MAX_ROW_ERRORS)):
                break
            out.append(
                ImportRowError(
                    row=error.row,
                    values=[str(v) for v in error.values],
                    problems=[ImportRowProblem(**p) for p in error.problems],
                )
            )
        return out

    @strawberry.field(
        description="Rows of a run that met a duplicate (a live record, or in a dry run an earlier row of the file), in row order: the action under the duplicate policy and the record matched."
    )
    async def duplicates(
        self,
        info: Info,
        phase: ImportPhase = ImportPhase.RUN,
        first: int | None = None,
        after: str | None = None,
    ) -> ImportRowDuplicateConnection:
        ctx = ctx_of(info)
        page = await query(
            jobs.duplicates(
                ctx, self.row, phase.value, first=first, after=after, with_total=selects(info, "totalCount")
            )
        )
        records = await jobs.matched_records(
            self.row, [d.record_id for d in page.items if d.record_id is not None]
        )
        type_name = jobs.MATCHED[self.row.entity][1]

        def wrap(found: Any) -> ImportRowDuplicate:
            name, number = records.get(found.record_id, (None, None))
            return ImportRowDuplicate(
                row=found.row,
                action=ImportDuplicateAction(found.action),
                changed_fields=found.changed_fields,
                record_id=strawberry.ID(encode_id(type_name, found.record_id))
                if found.record_id is not None
                else None,
                record_name=name,
                record_number=number,
                earlier_row=found.earlier_row,
            )

        return build(ImportRowDuplicateConnection, page, wrap)

    @classmethod
    def of(cls, row: Any) -> ImportJob:
        counts = row.dry_run or {}
        dry_run = (
            ImportDryRunSummary(
                valid=counts.get("valid", 0),
                invalid=counts.get("invalid", 0),
                to_create=counts.get("create", 0),
                to_update=counts.get("update", 0),
                to_skip=counts.get("skip", 0),
            )
            if row.dry_run is not None
            else None
        )
        if row.status in ("VALIDATING", "VALIDATED"):
            processed = counts.get("valid", 0) + counts.get("invalid", 0)
        else:
            processed = row.created_count + row.updated_count + row.skipped_count + row.failed_count
        global_id = encode_id("ImportJob", row.id)
        return cls(
            id=strawberry.ID(global_id),
            filename=row.filename,
            entity=ImportEntity(row.entity),
            encoding=row.encoding,
            delimiter=row.delimiter,
            columns=list(row.columns),
            row_count=row.row_count,
            mapping=[ImportColumnMapping(column=c, field=f) for c, f in (row.mapping or {}).items()],
            duplicate_policy=ImportDuplicatePolicy(row.duplicate_policy),
            status=ImportStatus(row.status),
            processed_rows=processed,
            dry_run=dry_run,
            created_count=row.created_count,
            updated_count=row.updated_count,
            skipped_count=row.skipped_count,
            failed_count=row.failed_count,
            failure=row.failure,
            error_report_url=f"/imports/{global_id}/errors.csv",
            duplicate_report_url=f"/imports/{global_id}/duplicates.csv",
            started_at=row.started_at,
            finished_at=row.finished_at,
            created_at=row.created_at,
            row=row,
        )


@strawberry.type(description="A column mapping saved by name, for files of the same layout.")
class ImportMapping:
    name: str = strawberry.field(description="Its name (unique per workspace and entity).")
    entity: ImportEntity = strawberry.field(description="What it imports.")
    columns: list[ImportColumnMapping] = strawberry.field(description="Column → field.")


@strawberry.type(description="A field a column may fill.")
class ImportField:
    field: str = strawberry.field(description="The name to use in a mapping.")
    label: str = strawberry.field(description="Its pt-BR label.")


@strawberry.input(description="One column → field.")
class ImportColumnInput:
    column: str = strawberry.field(description="The column's header, as in the file.")
    field: str = strawberry.field(
        description="The field (importFields lists them); empty: ignore the column."
    )


@strawberry.input(description="How to read a job's columns. Send `columns` or a saved `mappingName`.")
class MapImportColumnsInput:
    import_job_id: strawberry.ID = strawberry.field(description="The job (from POST /imports).")
    columns: list[ImportColumnInput] | None = strawberry.field(
        default=strawberry.UNSET, description="The mapping; `name` is required."
    )
    mapping_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Use a saved mapping instead."
    )
    save_as: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Also save the mapping under this name (replacing one of the same name).",
    )
    duplicate_policy: ImportDuplicatePolicy | None = strawberry.field(
        default=strawberry.UNSET, description="What duplicates do; SKIP by default."
    )


@strawberry.type(description="Result of an import mutation.")
class ImportJobPayload:
    import_job: ImportJob | None = strawberry.field(default=None, description="The job.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class ImportsQuery:
    @strawberry.field(
        description="An import by id; null if it is not the workspace's. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def import_job(self, info: Info, id: strawberry.ID) -> ImportJob | None:
        try:
            row = await jobs.get_job(ctx_of(info), id)
        except NotFound:
            return None
        return ImportJob.of(row)

    @strawberry.field(
        description="The workspace's latest imports, newest first; `first` at most 100. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def import_jobs(self, info: Info, first: int = 20) -> list[ImportJob]:
        return [ImportJob.of(row) for row in await query(jobs.list_jobs(ctx_of(info), first))]

    @strawberry.field(description="Saved column mappings, by name. ADMIN only.", permission_classes=ADMIN)
    async def import_mappings(self, info: Info, entity: ImportEntity | None = None) -> list[ImportMapping]:
        rows = await query(jobs.list_mappings(ctx_of(info), entity.value if entity else None))
        return [
            ImportMapping(
                name=r.name,
                entity=ImportEntity(r.entity),
                columns=[ImportColumnMapping(column=c, field=f) for c, f in r.mapping.items()],
            )
            for r in rows
        ]

    @strawberry.field(
        description="The fields a column may fill (custom fields as customFields.<key>, see customFieldDefinitions). ADMIN only.",
        permission_classes=ADMIN,
    )
    def import_fields(self, entity: ImportEntity = ImportEntity.CONTACT) -> list[ImportField]:
        return [ImportField(field=k, label=str(v)) for k, v in kind_of(entity.value).fields.items()]


_job_mutation = payload_mutation(ImportJobPayload, "import_job", ImportJob.of)


@strawberry.type
class ImportsMutation:
    @strawberry.mutation(
        description="Map a job's columns to fields and choose the duplicate policy (clears an earlier dry run). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def map_import_columns(self, info: Info, input: MapImportColumnsInput) -> ImportJobPayload:
        return await _job_mutation(jobs.map_columns)(info, input_dict(input))

    @strawberry.mutation(
        description="Validate every row in the background without writing (VALIDATING → VALIDATED). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def start_import_dry_run(self, info: Info, import_job_id: strawberry.ID) -> ImportJobPayload:
        return await _job_mutation(jobs.start_dry_run)(info, import_job_id)

    @strawberry.mutation(
        description="Import the rows in the background, in batches, after a dry run (RUNNING → COMPLETED). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def start_import(self, info: Info, import_job_id: strawberry.ID) -> ImportJobPayload:
        return await _job_mutation(jobs.start_import)(info, import_job_id)


@strawberry.type
class ImportsSubscription:
    @strawberry.subscription(
        description="An import's progress, about every second while it runs, until it is VALIDATED, COMPLETED or FAILED. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def import_job_progress(self, info: Info, id: strawberry.ID) -> AsyncGenerator[ImportJob, None]:
        ctx = ctx_of(info)
        last: tuple[Any, ...] | None = None
        while True:
            row = await query(jobs.get_job(ctx, id))
            state = (row.status, row.cursor, row.updated_at)
            if state != last:
                last = state
                yield ImportJob.of(row)
            if row.status in ("UPLOADED", "VALIDATED", "COMPLETED", "FAILED"):
                return
            await asyncio.sleep(1)
