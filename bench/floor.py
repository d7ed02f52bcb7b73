"""The raw-JSON floor: a bare Starlette endpoint that serves the same first
page of contacts (with company, owner and tags, global ids, cursors and the
total count) from the same database, through the same ORM, the same bearer
authentication and the same number of SQL statements as the GraphQL list.
The ratio between the two is what the GraphQL layer costs.

    python bench/floor.py --port 8001 [--loop asyncio|uvloop]   (GET /contacts?first=50)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise import connections

from revgraph.models.crm import Company, Contact, ContactTag
from revgraph.models.identity import User
from revgraph.resolvers.credentials import authenticate
from revgraph.resolvers.database import close_database, open_database
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.pagination import SortKey, encode_cursor
from revgraph.resolvers.settings import Settings

# The GraphQL list's default order (newest first, id breaks ties).
ORDER = [SortKey("created_at", descending=True, kind="datetime"), SortKey("id", descending=True, kind="int")]


def _node(contact: Contact, companies: dict, users: dict, tags: dict) -> dict:
    company = companies.get(contact.company_id)
    owner = users.get(contact.owner_id)
    return {
        "id": encode_id("Contact", contact.id),
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "lifecycleStage": contact.lifecycle_stage,
        "source": contact.source,
        "tags": tags.get(contact.id, []),
        "company": {"id": encode_id("Company", company.id), "name": company.name} if company else None,
        "owner": {"id": encode_id("User", owner.id), "name": owner.name} if owner else None,
    }


async def contacts(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    actor = await authenticate(settings, token.strip()) if scheme.lower() == "bearer" else None
    if actor is None:
        return JSONResponse({"error": "unauthenticated"}, status_code=401)
    first = min(int(request.query_params.get("first", "50")), 100)
    live = Contact.filter(workspace_id=actor.workspace_id, deleted_at=None)
    order = [f"-{k.column}" if k.descending else k.column for k in ORDER]
    rows = list(await live.order_by(*order).limit(first + 1))
    total = await live.count()
    page = rows[:first]
    ws = actor.workspace_id
    company_rows, user_rows, tag_rows = await asyncio.gather(
        Company.filter(workspace_id=ws, id__in={c.company_id for c in page if c.company_id}),
        User.filter(workspace_id=ws, id__in={c.owner_id for c in page if c.owner_id}),
        ContactTag.filter(workspace_id=ws, contact_id__in=[c.id for c in page]).order_by("id"),
    )
    tags: dict[int, list[str]] = {}
    for tag in tag_rows:
        tags.setdefault(tag.contact_id, []).append(tag.name)
    companies = {c.id: c for c in company_rows}
    users = {u.id: u for u in user_rows}
    edges = [{"cursor": encode_cursor(c, ORDER), "node": _node(c, companies, users, tags)} for c in page]
    return JSONResponse(
        {
            "data": {
                "contacts": {
                    "totalCount": total,
                    "pageInfo": {
                        "hasNextPage": len(rows) > first,
                        "endCursor": edges[-1]["cursor"] if edges else None,
                    },
                    "edges": edges,
                }
            }
        }
    )


async def healthz(request: Request) -> JSONResponse:
    await connections.get("default").execute_query("SELECT 1")
    return JSONResponse({"status": "ok"})


def create_floor_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await open_database(settings, migrate=False)
        try:
            yield
        finally:
            await close_database()

    app = Starlette(
        routes=[Route("/contacts", contacts), Route("/healthz", healthz)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="raw-JSON floor for the contacts list")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--loop", default="asyncio")
    args = parser.parse_args()
    uvicorn.run(
        create_floor_app(Settings.from_env()),
        host="127.0.0.1",
        port=args.port,
        loop=args.loop,
        log_level="warning",
    )
