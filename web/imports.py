"""CSV imports over plain HTTP, beside /graphql (files do not travel in
GraphQL documents):

- `POST /imports`: a multipart/form-data upload (`file`, and `entity`:
  CONTACT, COMPANY or DEAL, CONTACT by default) with `Authorization: Bearer <token>` of an ADMIN.
  Up to 50 MB: the body is streamed to a spooled temporary file and counted
  as it arrives (RequestGuard lets this path through unread), then stored
  as an import job in chunks. Answers 201 with the job's id, columns,
  encoding, separator and row count; the mapping, the dry run and the
  import go on in GraphQL.
- `GET /imports/{id}/errors.csv?phase=DRY_RUN|RUN`: the row error report,
  streamed: the file's own columns plus "Linha" and "Erros" (pt-BR), UTF-8
  with BOM and `;` so Excel pt-BR opens it as it is.
- `GET /imports/{id}/duplicates.csv?phase=DRY_RUN|RUN`: the rows that met a
  duplicate (ImportJob.duplicates), in the same format: the row, the action,
  the record matched (name, number, global id), the fields an update
  changes and, in a dry run, the earlier row of the file it repeats.

An API key must also have a scope that allows the path
(resolvers/key_scopes.py): the upload is a write (FULL only), the error
report a read of data (FULL or READ_ONLY, as exports); others are 403
FORBIDDEN before anything is read or stored.

Errors have the GraphQL-over-HTTP shape ({"errors": [{"message",
"extensions": {"code", "field"}}]})."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from revgraph.resolvers.context import Context
from revgraph.resolvers.credentials import check_credential
from revgraph.resolvers.errors import AuthError, DomainError
from revgraph.resolvers.i18n import _, choose, set_language
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.imports import jobs
from revgraph.resolvers.imports.files import MAX_FILE_BYTES
from revgraph.resolvers.key_scopes import http_refusal
from revgraph.resolvers.settings import Settings
from revgraph.web.graphql_view import bearer, client_ip

UPLOAD_PATH = "/imports"
# Room for the multipart boundaries and the small fields beside the file.
_ENVELOPE_BYTES = 64 * 1024
PHASES = ("DRY_RUN", "RUN")


class TooLarge(Exception):
    pass


def _error(status: int, code: str, message: str, field: list[str] | None = None) -> JSONResponse:
    extensions: dict[str, Any] = {"code": code}
    if field:
        extensions["field"] = field
    return JSONResponse({"errors": [{"message": message, "extensions": extensions}]}, status_code=status)


def _domain_error(error: DomainError) -> JSONResponse:
    body = [{"message": p.message, "extensions": {"code": p.code, "field": p.field}} for p in error.problems]
    status = 404 if error.problems[0].code == "NOT_FOUND" else 400
    return JSONResponse({"errors": body}, status_code=status)


class _Asgi:
    """A bound method as a plain ASGI app (Route would wrap a method as a
    request handler, reading the body before we can count it)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class ImportEndpoints:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def routes(self) -> list[Route]:
        return [
            Route(UPLOAD_PATH, _Asgi(self.upload_app), methods=["POST"]),
            Route(UPLOAD_PATH + "/{id}/errors.csv", self.error_report, methods=["GET"]),
            Route(UPLOAD_PATH + "/{id}/duplicates.csv", self.duplicate_report, methods=["GET"]),
        ]

    async def _context(self, request: Request, does: str) -> Context | Response:
        """The admin's context, or the refusal; `does` is what the path does
        for the API key scopes ("read" or "write", resolvers/key_scopes.py)."""
        token = bearer(request.headers.get("authorization"))
        credential = await check_credential(self.settings, token) if token else None
        if credential is None:
            return _error(
                401, "UNAUTHENTICATED", _("Send Authorization: Bearer <token> of an administrator.")
            )
        # The importer's language, as /graphql would choose it.
        set_language(choose(credential.actor.locale, request.headers.get("accept-language")))
        refused = http_refusal(credential.actor, does)
        if refused:
            return _error(403, "FORBIDDEN", refused)
        ctx = Context(settings=self.settings, actor=credential.actor, client_ip=client_ip(request))
        if not credential.actor.is_admin:
            return _error(403, "FORBIDDEN", _("Only workspace administrators import data."))
        return ctx

    async def upload_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI, so the body can be counted while the parser reads it."""
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > MAX_FILE_BYTES + _ENVELOPE_BYTES:
                raise TooLarge
            return message

        request = Request(scope, counted)
        response = await self.upload(request)
        await response(scope, receive, send)

    async def upload(self, request: Request) -> Response:
        ctx = await self._context(request, "write")
        if isinstance(ctx, Response):
            return ctx
        too_large = _error(
            413,
            "LIMIT_EXCEEDED",
            _("A file is at most {megabytes} MB.", megabytes=MAX_FILE_BYTES // 2**20),
            ["file"],
        )
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_FILE_BYTES + _ENVELOPE_BYTES:
            return too_large
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return _error(415, "BAD_REQUEST", _("Send multipart/form-data with the CSV in the `file` field."))
        try:
            async with request.form(max_files=1, max_fields=5) as form:
                upload = form.get("file")
                if upload is None or isinstance(upload, str):
                    return _error(400, "INVALID", _("Send the CSV in the `file` field."), ["file"])
                entity = form.get("entity") or "CONTACT"
                job = await jobs.upload(ctx, upload.filename or "import.csv", str(entity), upload.file)
        except TooLarge:
            return too_large
        except DomainError as error:
            return _domain_error(error)
        except AuthError as error:
            return _error(403, error.code, str(error))
        return JSONResponse(
            {
                "id": encode_id("ImportJob", job.id),
                "filename": job.filename,
                "entity": job.entity,
                "encoding": job.encoding,
                "delimiter": job.delimiter,
                "columns": job.columns,
                "rowCount": job.row_count,
                "status": job.status,
            },
            status_code=201,
        )

    async def error_report(self, request: Request) -> Response:
        return await self._download(request, "erros", _report)

    async def duplicate_report(self, request: Request) -> Response:
        return await self._download(request, "duplicados", _duplicates)

    async def _download(
        self, request: Request, suffix: str, report: Callable[[Context, Any, str], AsyncIterator[bytes]]
    ) -> Response:
        """A job's report of a phase as a CSV download (`suffix` names the file)."""
        ctx = await self._context(request, "read")
        if isinstance(ctx, Response):
            return ctx
        phase = request.query_params.get("phase", "RUN").upper()
        if phase not in PHASES:
            return _error(400, "INVALID", _("phase is DRY_RUN or RUN."), ["phase"])
        try:
            job = await jobs.get_job(ctx, request.path_params["id"])
        except DomainError as error:
            return _domain_error(error)
        name = job.filename.rsplit(".", 1)[0] + f"-{suffix}-{phase.lower()}.csv"
        return StreamingResponse(
            report(ctx, job, phase),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f"attachment; filename*=UTF-8''{_quote(name)}"},
        )


def _quote(name: str) -> str:
    return quote(name, safe="")


class _Lines:
    """CSV lines as Excel pt-BR opens them (`;`, CRLF), the first with the BOM."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, delimiter=";", lineterminator="\r\n")
        self.first = True

    def line(self, cells: list[Any]) -> bytes:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(cells)
        text = ("\ufeff" if self.first else "") + self.buffer.getvalue()
        self.first = False
        return text.encode()


async def _report(ctx: Context, job: Any, phase: str) -> AsyncIterator[bytes]:
    lines = _Lines()
    yield lines.line([_("Row"), *job.columns, _("Errors")])
    async for row in jobs.row_errors(ctx, job, phase):
        cells = list(row.values) + [""] * (len(job.columns) - len(row.values))
        messages = " | ".join(
            (f"{p['column']}: " if p.get("column") else "") + str(p["message"]) for p in row.problems
        )
        yield lines.line([row.row, *cells[: len(job.columns)], messages])


async def _duplicates(ctx: Context, job: Any, phase: str) -> AsyncIterator[bytes]:
    lines = _Lines()
    yield lines.line(
        [
            _("Row"),
            _("Action"),
            _("Record"),
            _("Record number"),
            _("Record id"),
            _("Changed fields"),
            _("Earlier row of the file"),
        ]
    )
    actions = {"UPDATE": _("Update"), "SKIP": _("Skip")}
    type_name = jobs.MATCHED[job.entity][1]
    async for found, record in jobs.duplicate_rows(ctx, job, phase):
        name, number = record or ("", None)
        yield lines.line(
            [
                found.row,
                actions[found.action],
                name,
                "" if number is None else number,
                encode_id(type_name, found.record_id) if found.record_id is not None else "",
                ", ".join(found.changed_fields or []),
                found.earlier_row or "",
            ]
        )
