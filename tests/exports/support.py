"""Reading exports like a client: GET /export/<list>.csv with a bearer
token, the file parsed back with the csv module."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from revgraph.models.events import Event
from revgraph.models.identity import User
from revgraph.resolvers.ids import decode_id

BOM = "\ufeff"
CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { code } } }
"""


def export_url(server: Any, list_name: str) -> str:
    return f"{server.url}/export/{list_name}.csv"


async def export(
    gql: Any,
    token: str | None,
    list_name: str,
    *,
    filter: dict[str, Any] | None = None,
    sep: str | None = None,
    **params: str,
) -> Any:
    """The raw response of an export."""
    query = dict(params)
    if filter is not None:
        query["filter"] = json.dumps(filter)
    if sep is not None:
        query["sep"] = sep
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await gql.http.get(export_url(gql.server, list_name), params=query, headers=headers)


def parse(text: str, sep: str = ",") -> list[dict[str, str]]:
    """The file's rows by header (the BOM must be there, and is dropped)."""
    assert text.startswith(BOM), text[:20]
    return list(csv.DictReader(io.StringIO(text[1:], newline=""), delimiter=sep))


async def rows(gql: Any, token: str, list_name: str, **kwargs: Any) -> list[dict[str, str]]:
    response = await export(gql, token, list_name, **kwargs)
    assert response.status_code == 200, response.text
    return parse(response.content.decode("utf-8"), kwargs.get("sep") or ",")


async def workspace_of(user_id: str) -> int:
    decoded = decode_id(user_id)
    assert decoded is not None
    return (await User.get(id=decoded[1])).workspace_id


async def export_events(user_id: str) -> list[dict[str, Any]]:
    workspace_id = await workspace_of(user_id)
    return list(
        await Event.filter(workspace_id=workspace_id, kind="data.exported")
        .order_by("id")
        .values("actor_user_id", "summary", "data")
    )
