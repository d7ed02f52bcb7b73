"""The export use case read like the endpoint reads it, a chunk at a time:
what it holds at once, and how a long export stops when its credential is
revoked or its budget runs out between two pages."""

from dataclasses import replace
from uuid import uuid4

import pytest

from revgraph.models.crm import Contact
from revgraph.resolvers.context import Context
from revgraph.resolvers.credentials import check_credential
from revgraph.resolvers.errors import AuthError, LimitExceeded
from revgraph.resolvers.exports.stream import start_export
from revgraph.resolvers.rate_limit import RateLimiter
from tests.exports.support import BOM, export_events, workspace_of

CREATE_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id } secret userErrors { code } }
}
"""
REVOKE_KEY = "mutation Revoke($id: ID!) { revokeApiKey(id: $id) { userErrors { code } } }"


async def _key_context(gql, server, workspace, leads: int) -> tuple[Context, str]:
    workspace_id = await workspace_of(workspace.admin["id"])
    await Contact.bulk_create(
        [
            Contact(workspace_id=workspace_id, name=f"Lead {i:04}", name_search=f"lead {i:04}")
            for i in range(leads)
        ]
    )
    created = (await gql.ok(CREATE_KEY, {"input": {"name": "BI", "role": "ADMIN"}}, token=workspace.token))[
        "createApiKey"
    ]
    credential = await check_credential(server.settings, created["secret"])
    assert credential is not None
    return Context(settings=server.settings, actor=credential.actor), created["apiKey"]["id"]


async def test_each_chunk_holds_one_page_and_the_whole_file_every_row(gql, server, workspace):
    page = server.settings.limits.max_page_size
    ctx, _ = await _key_context(gql, server, workspace, page * 2 + 1)
    export = await start_export(ctx, "contacts", filter=None)

    chunks = [chunk async for chunk in export.chunks()]

    assert chunks[0].decode().startswith(BOM + "Número,Nome,")
    assert [chunk.count(b"\r\n") for chunk in chunks] == [1, page, page, 1]
    assert export.rows == page * 2 + 1
    [event] = await export_events(workspace.admin["id"])
    assert event["data"]["apiKeyId"] == ctx.actor.api_key_id


async def test_a_key_revoked_during_the_export_stops_it_before_the_next_page(gql, server, workspace):
    ctx, key_id = await _key_context(gql, server, workspace, server.settings.limits.max_page_size + 1)
    export = await start_export(ctx, "contacts", filter=None)
    chunks = export.chunks()
    await anext(chunks)  # header
    await anext(chunks)  # first page

    await gql.ok(REVOKE_KEY, {"id": key_id}, token=workspace.token)

    with pytest.raises(AuthError):
        await anext(chunks)


async def test_a_budget_spent_during_the_export_stops_it_before_the_next_page(gql, server, workspace):
    ctx, _ = await _key_context(gql, server, workspace, server.settings.limits.max_page_size + 1)
    # A limiter of its own (its own Redis keys): the server's budgets stay whole.
    limiter = RateLimiter(
        replace(server.settings, redis_prefix=f"{server.settings.redis_prefix}-{uuid4().hex[:6]}")
    )
    try:
        export = await start_export(ctx, "contacts", filter=None, limiter=limiter)
        chunks = export.chunks()
        await anext(chunks)
        await anext(chunks)

        await limiter.charge(ctx.actor, limiter.limit)

        with pytest.raises(LimitExceeded):
            await anext(chunks)
    finally:
        await limiter.aclose()
