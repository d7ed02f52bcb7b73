"""The poll path: a dashboard's repeated report query answered before
Strawberry runs (issue 11: a repeated poll whose answer cannot have changed
must cost almost nothing).

Only a document that already ran through the whole pipeline (limits,
validation, admission) and qualified for the poll cache (schema/poll.py)
takes it, and only with the variables of a slot the cache holds: such a
request needs its credential (one statement, which also reads the log
position), the slot's answer for that position, and one charge against the
rate limit. Everything else — a miss, a credential that does not check out,
an exhausted budget, a request it cannot read — goes on to the full
pipeline, which reuses the credential already read (web/graphql_view.py)
and answers or refuses as it always does."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from revgraph.resolvers.credentials import Credential, check_credential
from revgraph.resolvers.i18n import choose
from revgraph.resolvers.log_position import slot_position
from revgraph.resolvers.poll_cache import PollCache, operation_slot
from revgraph.resolvers.rate_limit import RateLimiter
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.visibility import scope_key
from revgraph.schema.extensions import cost_report
from revgraph.schema.poll import PollVerdicts, etag_headers

# request.scope["state"] key of the credential this path already checked.
CHECKED = "checked_credential"
# A poll is a small request: a bigger body (an import...) is not decoded
# here as well as by Strawberry.
POLL_BODY_BYTES = 16 * 1024
# Query strings of qualifying GETs remembered (then forgotten all at once).
URLS = 1024


def etag_matches(if_none_match: str | None, etag: str | None) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2): `*` or any listed
    tag whose opaque part equals the ETag's."""
    if not if_none_match or not etag:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def checked_credential(request: Request, token: str) -> tuple[bool, Credential | None]:
    """(True, what it gave) when this path already checked `token`."""
    checked = request.scope.get("state", {}).get(CHECKED)
    if checked is None or checked[0] != token:
        return False, None
    return True, checked[1]


Operation = tuple[str, str | None, Any]


async def _operation(request: Request) -> Operation | None:
    """(query, operationName, variables) as Strawberry will read them, or
    None for anything unusual (Strawberry then reads and judges it)."""
    try:
        if request.method == "GET":
            params = request.query_params
            raw = params.get("variables")
            variables = json.loads(raw) if raw and raw.strip() != "null" else None
            found: Any = {"query": params.get("query"), "operationName": params.get("operationName")}
        elif request.method == "POST":
            body = await request.body()
            if len(body) > POLL_BODY_BYTES:
                return None
            found = json.loads(body)
            variables = found.get("variables") if isinstance(found, dict) else None
        else:
            return None
    except (ValueError, RecursionError):
        return None
    if not isinstance(found, dict) or not isinstance(found.get("query"), str):
        return None
    operation_name = found.get("operationName")
    if not (operation_name is None or isinstance(operation_name, str)):
        return None
    if not (variables is None or isinstance(variables, dict)):
        return None
    return found["query"], operation_name, variables


class PollPath:
    def __init__(
        self, settings: Settings, cache: PollCache, verdicts: PollVerdicts, rate_limiter: RateLimiter
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.verdicts = verdicts
        self.rate_limiter = rate_limiter
        # Polls answered here (tests and benchmarks read it).
        self.answered = 0
        # The operations of query strings already read: a dashboard's GET
        # repeats its URL, and unquoting a document costs more than the rest.
        self._urls: dict[bytes, Operation] = {}

    async def answer(self, request: Request, token: str | None) -> Response | None:
        """The response to a repeated poll, or None: the full pipeline's turn."""
        if token is None or not len(self.cache):
            return None
        operation = await self._operation(request)
        if operation is None:
            return None
        credential = await check_credential(self.settings, token)
        request.scope.setdefault("state", {})[CHECKED] = (token, credential)
        if credential is None or credential.log_position is None:
            return None
        actor = credential.actor
        # The language graphql_view would answer in (the caller's, else the browser's).
        language = choose(actor.locale, request.headers.get("accept-language"))
        slot = operation_slot(actor.workspace_id, scope_key(actor), *operation, language=language)
        position = slot_position(
            credential.log_position,
            credential.topic_positions,
            self.verdicts.reads(operation[0], operation[1]),
        )
        answer = self.cache.get(slot, position)
        if answer is None:
            return None
        budget = await self.rate_limiter.spend(actor, answer.requested, answer.delivered)
        if not budget.allowed:
            return None  # refused, with its message and 429, by DemandControl
        self.answered += 1
        headers = budget.headers()
        if request.method == "GET":
            headers.update(etag_headers(answer))
            if etag_matches(request.headers.get("if-none-match"), answer.etag):
                return Response(status_code=304, headers=headers)
        cost = cost_report(self.settings, answer.requested, answer.delivered, budget)
        extensions = json.dumps({"cost": cost}, separators=(",", ":"))
        body = '{"data":' + answer.json + ',"extensions":' + extensions + "}"
        return Response(body, media_type="application/json", headers=headers)

    async def _operation(self, request: Request) -> Operation | None:
        """The request's operation when it is one that qualified."""
        url = request.scope.get("query_string", b"") if request.method == "GET" else None
        operation = self._urls.get(url) if url else None
        if operation is None:
            operation = await _operation(request)
            if operation is None or not self.verdicts.known_cacheable(operation[0], operation[1]):
                return None
            if url:
                if len(self._urls) >= URLS:
                    self._urls.clear()
                self._urls[url] = operation
        return operation
