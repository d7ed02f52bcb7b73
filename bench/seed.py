"""Fixed benchmark data: one workspace with 1,000 companies and 10,000
contacts (tags, owners, companies), generated from a seeded RNG straight into
a database through the models' bulk inserts.

The workspace and its admin go through the real sign-up use case (so the
login works exactly as in production); the bulk rows keep the columns the
resolvers derive (name_search, phone_digits, normalised e-mail) consistent
with what the use cases would have stored.

    python bench/seed.py [--database-url URL] [--contacts 10000] [--companies 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from revgraph.models.crm import Company, Contact, ContactTag
from revgraph.models.identity import User
from revgraph.resolvers import identity
from revgraph.resolvers.context import Context
from revgraph.resolvers.numbering import reserve_numbers
from revgraph.resolvers.settings import Settings
from revgraph.web import demo_data as vocab

SEED = 7
ADMIN_EMAIL = "bench-admin@bench.example"
PASSWORD = "bench-password"
AGENTS = 20
BATCH = 1000
TAG_POOLS = [
    vocab.PROPERTY_TAGS,
    vocab.ROOM_TAGS,
    vocab.REGION_TAGS,
    vocab.PAYMENT_TAGS,
    vocab.PROFILE_TAGS,
]


@dataclass
class Seeded:
    email: str
    password: str
    workspace_id: int
    contacts: int
    companies: int
    tags: int
    seconds: float


def ascii_slug(text: str) -> str:
    """ "Débora Simões" -> "debora.simoes": what people put in e-mail addresses."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ".".join(plain.lower().split())


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


STATISTICS_TABLES = ("app_user", "company", "contact", "contact_tag")


async def update_statistics(settings: Settings, tables: tuple[str, ...] = STATISTICS_TABLES) -> None:
    """Give the query planner the statistics a database in service has:
    PostgreSQL's autovacuum analyses a table after it grew by 10%, so a
    production database has them; SQLite never gathers them by itself."""
    from tortoise import connections

    conn = connections.get("default")
    if settings.database_url.startswith("sqlite"):
        await conn.execute_script("ANALYZE")
    else:
        for table in tables:
            await conn.execute_script(f"VACUUM ANALYZE {table}")


async def seed(
    settings: Settings, *, contacts: int = 10_000, companies: int = 1_000, analyze: bool = True
) -> Seeded:
    """Fill an empty, migrated database (open_database already called)."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    signed = await identity.sign_up(
        Context(settings=settings, client_ip="bench"),
        workspace_name="Bench Imóveis",
        name="Bench Admin",
        email=ADMIN_EMAIL,
        password=PASSWORD,
    )
    ws = signed.user.workspace_id
    await User.bulk_create(
        [
            User(
                workspace_id=ws,
                name=f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}",
                email=f"agent{i}@bench.example",
                password_hash=signed.user.password_hash,
                role="AGENT",
            )
            for i in range(AGENTS)
        ]
    )
    agent_ids = list(
        await User.filter(workspace_id=ws, role="AGENT").order_by("id").values_list("id", flat=True)
    )

    now = datetime.now(UTC)
    company_rows = []
    for i in range(companies):
        base = rng.choice(vocab.COMPANIES)[0]
        company_rows.append(
            Company(
                workspace_id=ws,
                name=f"{base} {i + 1}",
                domain=f"empresa{i + 1}.example",
                owner_id=rng.choice(agent_ids),
                created_at=now - timedelta(days=rng.randrange(720)),
            )
        )
    await Company.bulk_create(company_rows, batch_size=BATCH)
    company_ids = list(await Company.filter(workspace_id=ws).order_by("id").values_list("id", flat=True))

    phones: set[str] = set()
    contact_rows = []
    first_number = await reserve_numbers(ws, "contact", contacts)
    for i in range(contacts):
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
        name = f"{first} {last}"
        phone = None
        if rng.random() < 0.9:
            while phone is None or phone in phones:
                phone = f"+55{rng.choice(vocab.AREA_CODES)}9{rng.randrange(10**8):08d}"
            phones.add(phone)
        contact_rows.append(
            Contact(
                workspace_id=ws,
                number=first_number + i,
                name=name,
                name_search=name.lower(),
                email=f"{ascii_slug(name)}.{i}@{rng.choice(vocab.EMAIL_DOMAINS)}"
                if rng.random() < 0.85
                else None,
                phone=phone,
                phone_digits=phone[1:] if phone else None,
                company_id=rng.choice(company_ids) if rng.random() < 0.7 else None,
                owner_id=rng.choice(agent_ids) if rng.random() < 0.9 else None,
                lifecycle_stage=_weighted(rng, vocab.LIFECYCLE),
                score=rng.randrange(101),
                source=_weighted(rng, vocab.SOURCES),
                custom_fields={"orcamento": rng.choice(vocab.BUDGETS)},
                created_at=now - timedelta(minutes=rng.randrange(525_600)),
            )
        )
    await Contact.bulk_create(contact_rows, batch_size=BATCH)
    contact_ids = await Contact.filter(workspace_id=ws).order_by("id").values_list("id", flat=True)

    tag_rows = []
    for contact_id in contact_ids:
        for pool in rng.sample(TAG_POOLS, rng.randrange(1, 4)):
            tag_rows.append(ContactTag(workspace_id=ws, contact_id=contact_id, name=rng.choice(pool)))
    await ContactTag.bulk_create(tag_rows, batch_size=BATCH)
    if analyze:
        await update_statistics(settings)
    return Seeded(
        email=ADMIN_EMAIL,
        password=PASSWORD,
        workspace_id=ws,
        contacts=len(contact_ids),
        companies=len(company_ids),
        tags=len(tag_rows),
        seconds=time.perf_counter() - started,
    )


async def _main(args: argparse.Namespace) -> None:
    from revgraph.resolvers.database import close_database, open_database

    if args.database_url:
        os.environ["REVGRAPH_DATABASE_URL"] = args.database_url
    settings = Settings.from_env()
    await open_database(settings, migrate=True)
    try:
        done = await seed(
            settings, contacts=args.contacts, companies=args.companies, analyze=not args.no_analyze
        )
    finally:
        await close_database()
    print(
        f"seeded {done.contacts} contacts, {done.companies} companies, {done.tags} tags "
        f"in {done.seconds:.1f} s; log in as {done.email} / {done.password}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--companies", type=int, default=1_000)
    parser.add_argument("--no-analyze", action="store_true", help="leave the planner without statistics")
    asyncio.run(_main(parser.parse_args()))
