"""The data bench/reads.py measures: bench/seed.py's workspace (10,000
contacts, 1,000 companies, 20 agents, 1–3 tags each) plus one board of 8
stages × 50 deals, each deal with an owner and one of the seeded contacts,
created through the use cases in this process (create_pipeline,
create_deal), then the planner statistics of a database in service."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from seed import ADMIN_EMAIL, PASSWORD, STATISTICS_TABLES, seed, update_statistics

from revgraph.resolvers import deals, identity, pipelines
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.database import close_database, open_database
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.settings import Settings

BOARD_STAGES = 8
CARDS_PER_STAGE = 50
STAGE_NAMES = [
    "Novo lead",
    "Em contato",
    "Visita agendada",
    "Visita feita",
    "Proposta",
    "Negociação",
    "Contrato",
    "Escritura",
]


@dataclass
class ReadsData:
    token: str
    workspace_id: int
    pipeline_id: int
    contacts: int
    deals: int
    seconds: float


async def seed_board(settings: Settings, workspace_id: int, admin_id: int) -> tuple[int, int]:
    """8 gate-free stages × 50 deals, owners over the workspace's users,
    each deal with a contact; (pipeline id, deals created)."""
    from revgraph.models.crm import Contact
    from revgraph.models.identity import User

    ctx = Context(settings=settings, actor=Actor(workspace_id, admin_id, "ADMIN"))
    pipeline = await pipelines.create_pipeline(
        ctx, name="Vendas", stages=[{"name": name} for name in STAGE_NAMES[:BOARD_STAGES]]
    )
    stages = list(await pipeline.stages.all().order_by("position"))
    owners = list(await User.filter(workspace_id=workspace_id).order_by("id").values_list("id", flat=True))
    contacts = list(
        await Contact.filter(workspace_id=workspace_id)
        .order_by("id")
        .limit(BOARD_STAGES * CARDS_PER_STAGE)
        .values_list("id", flat=True)
    )
    rng = random.Random(11)
    created = 0
    for s, stage in enumerate(stages):
        for c in range(CARDS_PER_STAGE):
            index = s * CARDS_PER_STAGE + c
            await deals.create_deal(
                ctx,
                {
                    "title": f"Apartamento {index + 1}",
                    "pipeline_id": encode_id("Pipeline", pipeline.id),
                    "stage_id": encode_id("Stage", stage.id),
                    "value": Decimal(rng.randrange(150_000, 3_000_000)).quantize(Decimal("0.01")),
                    "owner_id": encode_id("User", owners[index % len(owners)]),
                    "contact_id": encode_id("Contact", contacts[index % len(contacts)]),
                },
            )
            created += 1
    return pipeline.id, created


async def seed_conversations(workspace_id: int) -> None:
    from seed_inbox import seed_inbox

    from revgraph.models.crm import Contact
    from revgraph.models.identity import User

    agents = await User.filter(workspace_id=workspace_id, role="AGENT").values_list("id", flat=True)
    contacts = await Contact.filter(workspace_id=workspace_id).order_by("id").values_list("id", flat=True)
    await seed_inbox(workspace_id, list(agents), list(contacts))


async def seed_reads(
    settings: Settings, *, contacts: int, companies: int, conversations: bool = False
) -> ReadsData:
    """Migrate and fill an empty database; a session token of its ADMIN.
    With `conversations`, bench/seed_inbox.py's inbox data too (three
    inboxes, an SLA policy, one conversation per contact)."""
    import time

    started = time.perf_counter()
    await open_database(settings, migrate=True)
    try:
        seeded = await seed(settings, contacts=contacts, companies=companies, analyze=False)
        logged = await identity.log_in(
            Context(settings=settings, client_ip="bench"), email=ADMIN_EMAIL, password=PASSWORD
        )
        pipeline_id, created = await seed_board(settings, seeded.workspace_id, logged.user.id)
        inbox_tables: tuple[str, ...] = ()
        if conversations:
            await seed_conversations(seeded.workspace_id)
            inbox_tables = ("inbox", "sla_policy", "conversation", "message")
        await update_statistics(
            settings, (*STATISTICS_TABLES, "pipeline", "stage", "deal", "session", *inbox_tables)
        )
    finally:
        await close_database()
    return ReadsData(
        token=logged.token,
        workspace_id=seeded.workspace_id,
        pipeline_id=pipeline_id,
        contacts=seeded.contacts,
        deals=created,
        seconds=time.perf_counter() - started,
    )
