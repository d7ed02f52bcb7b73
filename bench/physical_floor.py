"""The physical floor of a read: what serving `contacts(first: N)` (with
company, owner and tags) and the 8 × 50 board costs with nothing between the
HTTP route and the database driver — no ORM, no GraphQL.

A bare Starlette app, started like `revgraph serve` (uvicorn, asyncio loop,
the same process tuning), reads with the driver Tortoise itself uses here
(asyncpg for PostgreSQL, aiosqlite for SQLite) and answers with the same
JSON shape, the same global ids and cursors (the project's own `encode_id`
and `encode_cursor`) and the same bearer authentication (the project's
session statement and keyed token digest). Statements per request:

    GET /contacts?first=N   session; the page joined with company and owner,
                            with its total (scalar subquery); the page's tags  (3)
    GET /board?id=ID&first=N  session; the pipeline's stages with their count
                            and value; the first N cards of every stage with
                            owner and contact (one windowed statement)        (3)
    GET /conversations?first=N  session; the page (latest message first)
                            joined with contact, assignee, inbox and the
                            inbox's SLA policy, with its total                (2)

A conversation's `sla { state }` and `canReply` are computed from its
stored facts with the project's own pure functions (resolvers/inbox/sla.py
`compute_sla`, intake.can_reply) over the policy and business hours read
once per inbox, as the product must: the floor leaves out the GraphQL and
ORM layers, not the domain's arithmetic.

Only an ADMIN is served (who sees the whole workspace): the floor has no
visibility rules to apply, so it refuses other roles rather than pretend.

    python bench/physical_floor.py --port 8002   (REVGRAPH_DATABASE_URL, REVGRAPH_SECRET_KEY)
"""

from __future__ import annotations

import argparse
import contextlib
import re
from collections import namedtuple
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from revgraph.resolvers.credentials import SESSION_SQL
from revgraph.resolvers.identity import secret_digest
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.pagination import SortKey, encode_cursor
from revgraph.resolvers.settings import Settings, sqlite_path

# The contacts list's default order (newest first, id breaks ties).
CONTACT_ORDER = [
    SortKey("created_at", descending=True, kind="datetime"),
    SortKey("id", descending=True, kind="int"),
]
CursorRow = namedtuple("CursorRow", "created_at id")
CENT = Decimal("0.01")

CONTACT_PAGE_SQL = """
SELECT c.id, c.name, c.email, c.phone, c.lifecycle_stage, c.source, c.created_at,
       co.id, co.name, u.id, u.name,
       (SELECT count(*) FROM contact t WHERE t.workspace_id = ? AND t.deleted_at IS NULL)
FROM contact c
LEFT JOIN company co ON co.id = c.company_id
LEFT JOIN app_user u ON u.id = c.owner_id
WHERE c.workspace_id = ? AND c.deleted_at IS NULL
ORDER BY c.created_at DESC, c.id DESC
LIMIT ?
"""
STAGES_SQL = """
SELECT p.board_sequence, s.id, s.name, COALESCE(t.n, 0), t.total
FROM pipeline p
JOIN stage s ON s.pipeline_id = p.id AND s.archived_at IS NULL
LEFT JOIN (SELECT stage_id, count(*) AS n, sum(value) AS total FROM deal
           WHERE workspace_id = ? AND pipeline_id = ? AND deleted_at IS NULL GROUP BY stage_id) t
       ON t.stage_id = s.id
WHERE p.id = ? AND p.workspace_id = ? AND p.archived_at IS NULL
ORDER BY s.position, s.id
"""
CARDS_SQL = """
SELECT d.stage_id, d.id, d.title, d.value, u.name, c.name
FROM (SELECT id, stage_id, title, value, owner_id, contact_id, rank,
             row_number() OVER (PARTITION BY stage_id ORDER BY rank, id) AS place
      FROM deal WHERE workspace_id = ? AND pipeline_id = ? AND deleted_at IS NULL) d
LEFT JOIN app_user u ON u.id = d.owner_id
LEFT JOIN contact c ON c.id = d.contact_id
WHERE d.place <= ?
ORDER BY d.stage_id, d.rank, d.id
"""


CONVERSATION_PAGE_SQL = """
SELECT cv.id, cv.number, cv.status, cv.last_message_at, cv.waiting_since, cv.last_inbound_at,
       cv.sla_facts, ct.name, u.name, i.id, i.name, i.reply_window_hours, i.business_hours,
       sp.id, sp.first_response_minutes, sp.next_response_minutes, sp.resolution_minutes,
       sp.business_hours_only, sp.warn_before_minutes,
       (SELECT count(*) FROM conversation t WHERE t.workspace_id = ? AND t.last_message_at IS NOT NULL)
FROM conversation cv
JOIN contact ct ON ct.id = cv.contact_id
JOIN inbox i ON i.id = cv.inbox_id
LEFT JOIN sla_policy sp ON sp.id = i.sla_policy_id
LEFT JOIN app_user u ON u.id = cv.assignee_id
WHERE cv.workspace_id = ? AND cv.last_message_at IS NOT NULL
ORDER BY cv.last_message_at DESC, cv.id DESC
LIMIT ?
"""


class Rows:
    """Statements through the raw driver: `?` placeholders, tuples back."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.sqlite = sqlite_path(database_url) is not None
        self.pool: Any = None

    async def open(self) -> None:
        if self.sqlite:
            import aiosqlite

            self.pool = await aiosqlite.connect(str(sqlite_path(self.url)))
            await self.pool.execute("PRAGMA journal_mode=WAL")
        else:
            import asyncpg

            # One connection until requests overlap: bench/reads.py runs every
            # server at once on a PostgreSQL shared with others (asyncpg's
            # default opened 10 at start).
            self.pool = await asyncpg.create_pool(
                self.url.replace("postgres://", "postgresql://", 1), min_size=1
            )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        if self.sqlite:
            async with self.pool.execute(sql, args) as cursor:
                return list(await cursor.fetchall())
        return await self.pool.fetch(_numbered(sql), *args)

    def in_list(self, column: str, count: int) -> str:
        """`column IN (...)`: one placeholder per value on SQLite, an array on PostgreSQL."""
        return f"{column} = ANY(?::int[])" if not self.sqlite else f"{column} IN ({','.join('?' * count)})"

    def moment(self, value: datetime | str) -> datetime:
        """asyncpg gives aware datetimes; SQLite the ISO text Tortoise wrote."""
        return value if isinstance(value, datetime) else datetime.fromisoformat(value).astimezone(UTC)


def _numbered(sql: str) -> str:
    counter = iter(range(1, 1000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


async def admin_of(request: Request) -> int | None:
    """The workspace of the bearer token's ADMIN, or None: the project's own
    session statement and token digest, expiry and active user checked."""
    rows: Rows = request.app.state.rows
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    digest = secret_digest(request.app.state.settings, token.strip())
    found = await rows.fetch(SESSION_SQL.format("?"), digest)
    if not found:
        return None
    # the statement's leading columns (it goes on with languages and log positions)
    _, expires_at, _, workspace_id, role, active, *_ = found[0]
    if rows.moment(expires_at) <= datetime.now(UTC) or not active or role != "ADMIN":
        return None
    return workspace_id


def unauthenticated() -> JSONResponse:
    return JSONResponse({"error": "unauthenticated"}, status_code=401)


async def page_request(request: Request) -> tuple[int, Rows, int] | None:
    """(the ADMIN's workspace, the rows, the page size asked, at most 100),
    or None when the bearer is not an ADMIN's."""
    workspace_id = await admin_of(request)
    if workspace_id is None:
        return None
    return workspace_id, request.app.state.rows, min(int(request.query_params.get("first", "50")), 100)


async def contacts(request: Request) -> JSONResponse:
    asked = await page_request(request)
    if asked is None:
        return unauthenticated()
    workspace_id, rows, first = asked
    found = await rows.fetch(CONTACT_PAGE_SQL, workspace_id, workspace_id, first + 1)
    page = found[:first]
    tags: dict[int, list[str]] = {}
    if page:
        ids = [row[0] for row in page]
        where = rows.in_list("contact_id", len(ids))
        sql = f"SELECT contact_id, name FROM contact_tag WHERE workspace_id = ? AND {where} ORDER BY id"
        for contact_id, name in await rows.fetch(sql, workspace_id, *([ids] if not rows.sqlite else ids)):
            tags.setdefault(contact_id, []).append(name)
    edges = []
    for cid, name, email, phone, stage, source, created, co_id, co_name, u_id, u_name, _ in page:
        node = {
            "id": encode_id("Contact", cid),
            "name": name,
            "email": email,
            "phone": phone,
            "lifecycleStage": stage,
            "source": source,
            "tags": tags.get(cid, []),
            "company": {"id": encode_id("Company", co_id), "name": co_name} if co_id is not None else None,
            "owner": {"id": encode_id("User", u_id), "name": u_name} if u_id is not None else None,
        }
        cursor = encode_cursor(CursorRow(rows.moment(created), cid), CONTACT_ORDER)
        edges.append({"cursor": cursor, "node": node})
    total = found[0][-1] if found else 0
    connection = {
        "totalCount": total,
        "pageInfo": {"hasNextPage": len(found) > first, "endCursor": edges[-1]["cursor"] if edges else None},
        "edges": edges,
    }
    return JSONResponse({"data": {"contacts": connection}})


def _money(value: Any) -> str | None:
    return None if value is None else str(Decimal(str(value)).quantize(CENT))


async def board(request: Request) -> JSONResponse:
    asked = await page_request(request)
    if asked is None:
        return unauthenticated()
    workspace_id, rows, first = asked
    pipeline_id = int(request.query_params["id"])
    stage_rows = await rows.fetch(STAGES_SQL, workspace_id, pipeline_id, pipeline_id, workspace_id)
    if not stage_rows:
        return JSONResponse({"data": {"pipeline": None}})
    cards: dict[int, list[dict[str, Any]]] = {}
    for stage_id, deal_id, title, value, owner, contact in await rows.fetch(
        CARDS_SQL, workspace_id, pipeline_id, first
    ):
        node = {
            "id": encode_id("Deal", deal_id),
            "title": title,
            "value": _money(value),
            "owner": {"name": owner} if owner is not None else None,
            "contact": {"name": contact} if contact is not None else None,
        }
        cards.setdefault(stage_id, []).append({"node": node})
    stages = [
        {
            "id": encode_id("Stage", stage_id),
            "name": name,
            "dealCount": count,
            "totalValue": _money(total or 0),
            "deals": {"edges": cards.get(stage_id, [])},
        }
        for _, stage_id, name, count, total in stage_rows
    ]
    return JSONResponse({"data": {"pipeline": {"boardSequence": stage_rows[0][0], "stages": stages}}})


class _Inbox(namedtuple("_Inbox", "reply_window_hours calendar targets")):
    """What a page needs of an inbox, read once per inbox and request."""


def _json_value(value: Any) -> Any:
    """asyncpg gives json columns as text, SQLite always does."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _moment(value: Any) -> str | None:
    """A DateTime as the API writes it (ISO 8601, UTC offset)."""
    return None if value is None else value.isoformat()


async def conversations(request: Request) -> JSONResponse:
    from revgraph.resolvers.inbox.business_hours import BusinessCalendar
    from revgraph.resolvers.inbox.sla_clock import SlaFact, SlaTargets, compute_sla

    asked = await page_request(request)
    if asked is None:
        return unauthenticated()
    workspace_id, rows, first = asked
    found = await rows.fetch(CONVERSATION_PAGE_SQL, workspace_id, workspace_id, first)
    now = datetime.now(UTC)
    inboxes: dict[int, _Inbox] = {}
    edges = []
    for (
        cid, number, status, last_message_at, waiting_since, last_inbound_at, facts, contact, assignee,
        inbox_id, inbox_name, window_hours, business_hours, policy_id, first_minutes, next_minutes,
        resolution_minutes, business_only, warn_minutes, _,
    ) in found:  # fmt: skip
        inbox = inboxes.get(inbox_id)
        if inbox is None:
            hours = _json_value(business_hours)
            inbox = inboxes[inbox_id] = _Inbox(
                window_hours,
                BusinessCalendar.from_json(hours) if hours else None,
                None
                if policy_id is None
                else SlaTargets(
                    first_minutes, next_minutes, resolution_minutes, bool(business_only), warn_minutes
                ),
            )
        last_inbound = rows.moment(last_inbound_at) if last_inbound_at is not None else None
        if inbox.reply_window_hours is None:
            can_reply = True
        else:
            can_reply = (
                last_inbound is not None and last_inbound + timedelta(hours=inbox.reply_window_hours) > now
            )
        sla = None
        if inbox.targets is not None:
            stamped = (SlaFact(datetime.fromisoformat(at), kind) for at, kind in _json_value(facts) or ())
            sla = {"state": compute_sla(inbox.targets, inbox.calendar, stamped).state(now)}
        node = {
            "id": encode_id("Conversation", cid),
            "number": number,
            "status": status,
            "lastMessageAt": _moment(rows.moment(last_message_at) if last_message_at is not None else None),
            "waitingSince": _moment(rows.moment(waiting_since) if waiting_since is not None else None),
            "canReply": can_reply,
            "contact": {"name": contact},
            "assignee": {"name": assignee} if assignee is not None else None,
            "inbox": {"name": inbox_name},
            "sla": sla,
        }
        edges.append({"node": node})
    total = found[0][-1] if found else 0
    return JSONResponse({"data": {"conversations": {"edges": edges, "totalCount": total}}})


async def healthz(request: Request) -> JSONResponse:
    await request.app.state.rows.fetch("SELECT 1")
    return JSONResponse({"status": "ok"})


def create_physical_floor_app(settings: Settings) -> Starlette:
    rows = Rows(settings.database_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await rows.open()
        try:
            yield
        finally:
            await rows.close()

    app = Starlette(
        routes=[
            Route("/contacts", contacts),
            Route("/board", board),
            Route("/conversations", conversations),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.rows = rows
    return app


def main() -> None:
    from revgraph.web.allocator import pin_mmap_threshold
    from revgraph.web.cli import SERVER_OPTIONS

    parser = argparse.ArgumentParser(description="the physical floor of the contacts list and the board")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--loop", default="asyncio")
    args = parser.parse_args()
    # The same process set-up as `revgraph serve` (web/cli.py).
    pin_mmap_threshold()
    app = create_physical_floor_app(Settings.from_env())
    with contextlib.suppress(ImportError):  # a checkout from before web/gc_tuning.py
        from revgraph.web.gc_tuning import tune_collector

        tune_collector()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop=args.loop,
        log_level="warning",
        **SERVER_OPTIONS,
    )


if __name__ == "__main__":
    main()
