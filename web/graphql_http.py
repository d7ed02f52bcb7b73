"""/graphql's answer to an HTTP request it cannot read (RELIABILITY.md
"Exposure and errors"): Strawberry parses the body and the GET parameters
`variables`/`extensions` with `json.loads` and lets anything but
JSONDecodeError escape (a body of `42` or `null`, invalid UTF-8 inside a
string, 100,000 nested `[` all answered 500), and it refuses the rest in
plain text. Here every such request is a 400 in the same JSON shape as
RequestGuard's refusals: `{"errors": [{"message", "extensions": {"code"}}]}`."""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLRequestData
from strawberry.types.unset import UNSET

from revgraph.web.request_guard import error_body

NOT_JSON = "The request is not valid UTF-8 JSON, or is nested too deeply."
NOT_AN_OBJECT = (
    "Expected a JSON object: the body is one operation {query, variables, operationName, extensions}, "
    "and variables and extensions are objects."
)

JSON_PARAMS = ("variables", "extensions")


class JsonRequestErrors:
    """Mixed into the Strawberry view, before it in the bases."""

    def parse_json(self, data: str | bytes) -> Any:
        # Used for HTTP bodies and GET parameters only; websocket messages
        # go through decode_json, whose errors the protocol handler answers.
        try:
            # orjson reads a body in a fraction of json.loads' time; what it
            # refuses (NaN, integers past 64 bits, lone surrogates, nesting
            # past 1,024) is read by json.loads, which decides as before.
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            try:
                value = self.decode_json(data)  # type: ignore[attr-defined]
            except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
                raise HTTPException(400, NOT_JSON) from exc
        if not isinstance(value, dict):
            raise HTTPException(400, NOT_AN_OBJECT)
        return value

    async def parse_http_body(self, request: Any) -> Any:
        """A POST of `application/json`, what every client sends, read
        without Strawberry's Content-Type parse (an `email.message` built per
        request) and stream-transport lookup (the view has none): the same
        checks of the body's members, the same answers. Anything else goes
        through Strawberry's own reading."""
        if request.method != "POST" or request.content_type != "application/json":
            return await super().parse_http_body(request)  # type: ignore[misc]
        data = self.parse_json(await request.get_body())
        query = data.get("query")
        if not (query is None or isinstance(query, str)):
            raise HTTPException(400, "The GraphQL operation's `query` must be a string or null, if provided.")
        variables = data.get("variables")
        if not (variables is None or isinstance(variables, dict)):
            raise HTTPException(
                400, "The GraphQL operation's `variables` must be an object or null, if provided."
            )
        extensions = data.get("extensions")
        if not (extensions is None or isinstance(extensions, dict)):
            raise HTTPException(
                400, "The GraphQL operation's `extensions` must be an object or null, if provided."
            )
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=data.get("operationName"),
            extensions=extensions,
            protocol="http",
        )

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        # `variables=null` in a GET is a client saying "none", as in a body.
        present = {k: v for k, v in params.items() if not (k in JSON_PARAMS and v.strip() == "null")}
        return super().parse_query_params(present)  # type: ignore[misc]

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)  # type: ignore[misc]
        except HTTPException as refused:
            if not isinstance(request, Request):
                raise
            return Response(
                error_body(refused.status_code, refused.reason),
                status_code=refused.status_code,
                media_type="application/json",
            )
