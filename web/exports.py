"""`GET /export/{list}.csv`: a list (contacts, companies, deals,
conversations, tasks) as a CSV file streamed while it is read
(resolvers/exports/). Authenticated like /graphql (`Authorization: Bearer`
with a session token or an API key), under the caller's visibility.

`filter` is the JSON of the list's GraphQL filter input (ContactFilter,
CompanyFilter, DealFilter, ConversationFilter, TaskFilter), read by the
schema's own input types, so a value GraphQL would refuse is refused here
with the same code, INVALID, and the path into the filter in
`extensions.field`; `search` as the list's argument; `sep=;` for Excel in
Portuguese (with a decimal comma), `,` otherwise. Errors are JSON in the
GraphQL-over-HTTP shape: 400 INVALID, 401 UNAUTHENTICATED, 404 for a list
that does not exist, 429 LIMIT_EXCEEDED with the x-ratelimit-* headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from graphql import GraphQLError, GraphQLInputType, GraphQLSchema
from graphql.utilities import coerce_input_value, validate_input_value
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from revgraph.resolvers.context import Context
from revgraph.resolvers.credentials import check_credential
from revgraph.resolvers.errors import AuthError, DomainError, LimitExceeded
from revgraph.resolvers.exports.stream import LISTS, start_export
from revgraph.resolvers.i18n import Listing, _, choose, set_language
from revgraph.resolvers.key_scopes import http_refusal
from revgraph.resolvers.rate_limit import RateLimiter
from revgraph.resolvers.settings import Settings
from revgraph.web.browser_session import cookie_refusal
from revgraph.web.graphql_view import client_ip, request_id_of, request_token

FILTER_TYPES = {
    "contacts": "ContactFilter",
    "companies": "CompanyFilter",
    "deals": "DealFilter",
    "conversations": "ConversationFilter",
    "tasks": "TaskFilter",
}
SEPARATORS = {",": ",", ";": ";", "comma": ",", "semicolon": ";"}


class BadFilter(Exception):
    def __init__(self, message: str, field: list[str]):
        super().__init__(message)
        self.field = field


def _error(status: int, code: str, message: str, field: list[str] | None = None, **headers: str) -> Response:
    extensions: dict[str, Any] = {"code": code}
    if field:
        extensions["field"] = field
    return JSONResponse({"errors": [{"message": message, "extensions": extensions}]}, status, headers)


def _plain(value: Any) -> Any:
    """Coerced input as the resolvers read it: enums by their value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def read_filter(schema: GraphQLSchema, list_name: str, raw: str | None) -> dict[str, Any] | None:
    """The `filter` parameter through the GraphQL input type of the list."""
    if raw is None or not raw.strip() or raw.strip() == "null":
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadFilter(_("`filter` is not valid JSON."), ["filter"]) from exc
    if not isinstance(value, dict):
        raise BadFilter(
            _("`filter` is a JSON object of conditions, as the GraphQL filter input."), ["filter"]
        )
    type_: GraphQLInputType = schema.get_type(FILTER_TYPES[list_name])  # type: ignore[assignment]
    problems: list[tuple[GraphQLError, list[str | int]]] = []
    try:
        validate_input_value(value, type_, lambda error, path: problems.append((error, path)))
        if problems:
            error, path = problems[0]
            raise BadFilter(error.message, ["filter", *(str(step) for step in path)])
        return _plain(coerce_input_value(value, type_))
    except RecursionError as exc:
        raise BadFilter(_("`filter` is nested too deeply."), ["filter"]) from exc


class ExportEndpoints:
    def __init__(self, settings: Settings, schema: GraphQLSchema, rate_limiter: RateLimiter) -> None:
        self.settings = settings
        self.schema = schema
        self.rate_limiter = rate_limiter

    @property
    def routes(self) -> list[Route]:
        return [Route("/export/{list}.csv", self.export, methods=["GET"])]

    async def export(self, request: Request) -> Response:
        if request.method != "GET":
            # Starlette answers HEAD on GET routes; an export is not run (nor
            # logged) for headers only.
            return _error(405, "BAD_REQUEST", _("Use GET."), allow="GET")
        list_name = request.path_params["list"]
        if list_name not in LISTS:
            return _error(404, "NOT_FOUND", _("No such list: export {lists}.", lists=Listing(LISTS)))
        problem = cookie_refusal(self.settings, request)
        if problem:
            return _error(403, "FORBIDDEN", problem)
        token = request_token(request)
        credential = await check_credential(self.settings, token) if token else None
        if credential is None:
            return _error(
                401,
                "UNAUTHENTICATED",
                _(
                    "Authentication required: send Authorization: Bearer <token> (a session token or an API key)."
                ),
                **{"www-authenticate": 'Bearer realm="revgraph"'},
            )
        # From here on, the caller's own language (theirs, else their workspace's).
        set_language(choose(credential.actor.locale, request.headers.get("accept-language")))
        refused = http_refusal(credential.actor, "read")
        if refused:
            return _error(403, "FORBIDDEN", refused)
        params = request.query_params
        separator = SEPARATORS.get(params.get("sep", ","))
        if separator is None:
            return _error(400, "INVALID", _('Use sep=, or sep=; (";" for Excel in Portuguese).'), ["sep"])
        ctx = Context(
            settings=self.settings,
            actor=credential.actor,
            request_id=request_id_of(request),
            client_ip=client_ip(request),
        )
        ctx.log_position = credential.log_position
        try:
            filter = read_filter(self.schema, list_name, params.get("filter"))
            export = await start_export(
                ctx,
                list_name,
                filter=filter,
                search=params.get("search"),
                separator=separator,
                limiter=self.rate_limiter,
            )
        except BadFilter as bad:
            return _error(400, "INVALID", str(bad), bad.field)
        except DomainError as error:
            problem = error.problems[0]
            return _error(400, problem.code, problem.message, problem.field)
        except AuthError as error:
            return _error(403 if error.code == "FORBIDDEN" else 401, error.code, str(error))
        except LimitExceeded as exceeded:
            budget = await self.rate_limiter.admit(credential.actor, 0)
            wait = max(budget.reset - int(datetime.now(UTC).timestamp()), 1)
            return _error(429, exceeded.code, str(exceeded), **budget.headers(), **{"retry-after": str(wait)})
        headers = {
            "content-disposition": f'attachment; filename="{export.file_name}"',
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
            **(export.budget.headers() if export.budget else {}),
        }
        return StreamingResponse(export.chunks(), media_type="text/csv; charset=utf-8", headers=headers)
