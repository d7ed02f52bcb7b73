"""The demo workspace that `revgraph serve --demo` loads into an empty database:
a Brazilian real-estate pre-sales team with its leads, so a newcomer sees
something real at once.

Everything goes through the same use cases as the API (resolvers/), so the
timeline and the event log are real. The data comes from a fixed seed: two
loads produce the same workspace. Each section is one function appended to
SECTIONS; later features (pipelines, queues, automations) add theirs."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from revgraph.models.crm import Company, Contact
from revgraph.models.developments import Development
from revgraph.models.identity import Team, User, Workspace
from revgraph.models.pipeline import Stage
from revgraph.resolvers import (
    activities,
    companies,
    contact_interests,
    contacts,
    deal_moves,
    deals,
    developments,
    identity,
)
from revgraph.resolvers.automations import rules
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.distribution import assign, queues
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.pipeline_templates import REAL_ESTATE_PRE_SALES, create_pipeline_from_template
from revgraph.resolvers.settings import Settings
from revgraph.web import demo_data as vocab
from revgraph.web.demo_data import AGENTS, MANAGERS, TEAMS, WORKSPACE_NAME, Person
from revgraph.web.demo_inbox import add_inbox

SEED = 2026
CONTACTS = 200
ADMIN = Person("Marina Costa", "marina.costa@horizonte.example")
# A known password makes the README's first session copy-pasteable; it is
# printed on start and only ever set on an empty development database.
DEVELOPMENT_PASSWORD = "demo-revgraph"


@dataclass
class Demo:
    """What the sections share: the seeded RNG, the admin's context and the
    records earlier sections created."""

    rng: random.Random
    settings: Settings
    admin_ctx: Context
    password: str
    teams: dict[str, Team] = field(default_factory=dict)
    managers: list[User] = field(default_factory=list)
    agents: list[User] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    # Empreendimentos by name.
    developments: dict[str, Development] = field(default_factory=dict)
    contacts: list[Contact] = field(default_factory=list)
    _contexts: dict[int, Context] = field(default_factory=dict)

    def as_user(self, user_id: int | None) -> Context:
        """A context acting as that user (the admin for None), so the
        timeline names who did what."""
        if user_id is None:
            return self.admin_ctx
        ctx = self._contexts.get(user_id)
        if ctx is None:
            user = next(u for u in [*self.agents, *self.managers] if u.id == user_id)
            actor = Actor(user.workspace_id, user.id, user.role)
            ctx = self._contexts[user_id] = self.admin_ctx.for_actor(actor)
        return ctx

    def weighted(self, pairs: list[tuple[str, int]]) -> str:
        return self.rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


Section = Callable[[Demo], Awaitable[None]]


async def add_people(demo: Demo) -> None:
    """Teams form a tree under "Comercial"; managers run it, agents sit in the leaves."""
    ctx = demo.admin_ctx

    def new_user(person: Person, role: str, team: Team | None = None) -> Awaitable[User]:
        team_id = encode_id("Team", team.id) if team else None
        return identity.create_user(
            ctx, name=person.name, email=person.email, password=demo.password, role=role, team_id=team_id
        )

    # Password hashing (argon2, ~0.1 s each) dominates: hash side by side.
    # Row ids may interleave, but the lists keep the specs' order.
    demo.managers = list(await asyncio.gather(*(new_user(p, "MANAGER") for p in MANAGERS)))
    managers = {m.email: m for m in demo.managers}
    for team in TEAMS:
        manager = managers.get(team.manager_email or "")
        parent = demo.teams.get(team.parent or "")
        demo.teams[team.name] = await identity.create_team(
            ctx,
            name=team.name,
            manager_id=encode_id("User", manager.id) if manager else None,
            parent_id=encode_id("Team", parent.id) if parent else None,
        )
    demo.agents = list(await asyncio.gather(*(new_user(p, "AGENT", demo.teams[team]) for team, p in AGENTS)))


async def add_companies(demo: Demo) -> None:
    """Construtoras and partner imobiliárias, each an account of one agent."""
    for index, (name, domain) in enumerate(vocab.COMPANIES):
        owner = demo.agents[index % len(demo.agents)]
        demo.companies.append(
            await companies.create_company(
                demo.admin_ctx, {"name": name, "domain": domain, "owner_id": encode_id("User", owner.id)}
            )
        )


async def add_developments(demo: Demo) -> None:
    """The empreendimentos the team sells, each built by one of the construtoras."""
    builders = {c.name: c for c in demo.companies}
    for name in vocab.DEVELOPMENTS:
        spec = vocab.DEVELOPMENT_SPECS[name]
        demo.developments[name] = await developments.create_development(
            demo.admin_ctx,
            {
                "name": name,
                "status": spec.status,
                "developer_id": encode_id("Company", builders[spec.developer].id),
                "neighborhood": spec.neighborhood,
                "zone": spec.zone,
                "city": spec.city,
                "state": "SP",
                "price_min": spec.price_min,
                "price_max": spec.price_max,
                "typologies": spec.typologies,
            },
        )


async def add_interests(demo: Demo) -> None:
    """Leads that named an empreendimento are interested in it (set by their owner)."""
    for contact in demo.contacts:
        name = (contact.custom_fields or {}).get("empreendimento")
        if name in demo.developments:
            await contact_interests.add_contact_interest(
                demo.as_user(contact.owner_id),
                encode_id("Contact", contact.id),
                encode_id("Development", demo.developments[name].id),
            )


def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ".".join(plain.lower().split())


def _phone(demo: Demo, taken: set[str]) -> str:
    """A valid Brazilian mobile, written the ways people type them."""
    while True:
        area, number = demo.rng.choice(vocab.AREA_CODES), demo.rng.randrange(10**8)
        if (area, number) not in taken:
            taken.add((area, number))
            break
    head, tail = divmod(number, 10**4)
    style = demo.rng.randrange(3)
    if style == 0:
        return f"+55 {area} 9{head:04d}-{tail:04d}"
    if style == 1:
        return f"({area}) 9{head:04d}-{tail:04d}"
    return f"{area}9{head:04d}{tail:04d}"


def _tags(demo: Demo) -> tuple[list[str], str]:
    """What the lead is after, as tags, and the region it implies."""
    rng = demo.rng
    kind = rng.choice(vocab.PROPERTY_TAGS)
    region = rng.choice(vocab.REGION_TAGS)
    tags = [kind, region]
    if kind in ("apartamento", "casa", "cobertura"):
        tags.append(rng.choice(vocab.ROOM_TAGS))
    tags.append(rng.choice(vocab.PAYMENT_TAGS))
    if rng.random() < 0.4:
        tags.append(rng.choice(vocab.PROFILE_TAGS))
    return tags, region


async def add_contacts(demo: Demo) -> None:
    """~200 leads. Most belong to an agent (who created them); some still
    wait unowned for distribution. B2B contacts sit at their owner's accounts."""
    rng = demo.rng
    taken: set = set()
    accounts = {c.owner_id: [] for c in demo.companies}
    for company in demo.companies:
        accounts[company.owner_id].append(company)
    for index in range(CONTACTS):
        name = f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}"
        owner = rng.choice(demo.agents) if rng.random() < 0.85 else None
        tags, region = _tags(demo)
        has_email = rng.random() < 0.7
        data = {
            "name": name,
            "email": f"{_slug(name)}{index}@{rng.choice(vocab.EMAIL_DOMAINS)}" if has_email else None,
            "phone": _phone(demo, taken) if not has_email or rng.random() < 0.85 else None,
            "source": demo.weighted(vocab.SOURCES),
            "lifecycle_stage": demo.weighted(vocab.LIFECYCLE),
            "tags": tags,
            "custom_fields": {
                "bairro": rng.choice(vocab.NEIGHBOURHOODS[region]),
                "orcamento": rng.choice(vocab.BUDGETS),
                **({"empreendimento": rng.choice(vocab.DEVELOPMENTS)} if rng.random() < 0.5 else {}),
            },
        }
        if owner is not None and rng.random() < 0.15:
            data["company_id"] = encode_id("Company", rng.choice(accounts[owner.id]).id)
        # An agent creating a contact owns it: no owner_id needed.
        ctx = demo.as_user(owner.id if owner else None)
        demo.contacts.append(await contacts.create_contact(ctx, data))


async def add_activities(demo: Demo) -> None:
    """Notes and follow-up tasks by each contact's owner: some overdue, some
    due today, some next week; about half of the overdue ones already done."""
    rng = demo.rng
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for contact in rng.sample(demo.contacts, 60):
        await activities.add_note(
            demo.as_user(contact.owner_id),
            {"subject_id": encode_id("Contact", contact.id), "body": rng.choice(vocab.NOTES)},
        )
    owned = [c for c in demo.contacts if c.owner_id is not None]
    for contact in rng.sample(owned, 45):
        ctx = demo.as_user(contact.owner_id)
        due = now + timedelta(days=rng.randint(-3, 7), hours=rng.randint(-4, 4))
        task = await activities.create_task(
            ctx,
            {"title": rng.choice(vocab.TASKS), "due_at": due, "contact_id": encode_id("Contact", contact.id)},
        )
        if due < now and rng.random() < 0.5:
            await activities.complete_task(ctx, encode_id("Task", task.id))


PROPOSAL_VALUES = [320_000, 450_000, 580_000, 720_000, 890_000, 1_250_000, 1_900_000, 2_600_000]
LOSS_REASONS = ["Sem crédito aprovado", "Comprou com outra imobiliária", "Desistiu da mudança", "Sem retorno"]


async def add_pipeline(demo: Demo) -> None:
    """The pre-sales funnel with ~60 deals spread over its stages. Deals
    move there through moveDeal, so every gate is passed the way a user
    would pass it (a scheduled visit, a proposal value, a loss reason)."""
    rng = demo.rng
    pipeline = await create_pipeline_from_template(demo.admin_ctx, REAL_ESTATE_PRE_SALES.key)
    stages = {s.name: s for s in await Stage.filter(pipeline_id=pipeline.id).order_by("position")}
    owned = [c for c in demo.contacts if c.owner_id is not None]
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    route = ["Novo lead", "Em contato", "Visita agendada", "Proposta"]
    for contact in rng.sample(owned, 60):
        ctx = demo.as_user(contact.owner_id)
        value = str(rng.choice(PROPOSAL_VALUES))
        development = rng.choice(vocab.DEVELOPMENTS)
        deal = await deals.create_deal(
            ctx,
            {
                "pipeline_id": encode_id("Pipeline", pipeline.id),
                "title": f"{contact.name} — {development}",
                "contact_id": encode_id("Contact", contact.id),
                "development_id": encode_id("Development", demo.developments[development].id),
            },
        )
        target = demo.weighted(
            [
                ("Novo lead", 20),
                ("Em contato", 25),
                ("Visita agendada", 20),
                ("Proposta", 15),
                ("Ganho", 8),
                ("Perdido", 12),
            ]
        )
        steps = route[1 : route.index(target) + 1] if target in route else [*route[1:], target]
        for step in steps:
            move: dict = {
                "deal_id": encode_id("Deal", deal.id),
                "stage_id": encode_id("Stage", stages[step].id),
            }
            if step == "Visita agendada":
                await activities.create_task(
                    ctx,
                    {
                        "title": "Visita ao decorado",
                        "due_at": now + timedelta(days=rng.randint(1, 10), hours=rng.randint(1, 8)),
                        "deal_id": encode_id("Deal", deal.id),
                    },
                )
            if step == "Proposta":
                move["patch"] = {
                    "value": value,
                    "expected_close_date": now + timedelta(days=rng.randint(15, 90)),
                }
            if step == "Perdido":
                move["lost_reason"] = rng.choice(LOSS_REASONS)
            deal = await deal_moves.move_deal(ctx, move)


async def add_queues(demo: Demo) -> None:
    """Two roletas: round-robin among the Zona Sul agents who are online,
    and a weighted one over every agent; the leads nobody owns yet go
    through the weighted one, so each has an assignment with its reason."""
    sul = [a for a in demo.agents if a.team_id == demo.teams["Pré-vendas Zona Sul"].id] or demo.agents[:2]
    await queues.create_queue(
        demo.admin_ctx,
        {
            "name": "Roleta Zona Sul (online)",
            "mode": "ONLINE",
            "strategy": "ROUND_ROBIN",
            # Run by the Zona Sul coordinator; a lead nobody calls back within
            # half an hour goes to the next agent.
            "team_id": encode_id("Team", demo.teams["Pré-vendas Zona Sul"].id),
            "redistribute_after_minutes": 30,
            "members": [{"user_id": encode_id("User", a.id)} for a in sul],
        },
    )
    weighted = await queues.create_queue(
        demo.admin_ctx,
        {
            "name": "Roleta geral",
            "mode": "OFFLINE",
            "strategy": "WEIGHTED",
            "members": [
                {"user_id": encode_id("User", a.id), "weight": 1 + i % 3, "capacity": 60}
                for i, a in enumerate(demo.agents)
            ],
        },
    )
    for contact in [c for c in demo.contacts if c.owner_id is None]:
        await assign.distribute(
            demo.admin_ctx,
            queue_id=encode_id("Queue", weighted.id),
            contact_id=encode_id("Contact", contact.id),
            deal_id=None,
        )


async def add_rules(demo: Demo) -> None:
    """Three useful automations: call a new lead within the hour, e-mail the
    contact when a visit is scheduled, tell the manager when a deal is lost."""
    stages = {s.name: s for s in await Stage.filter(workspace_id=demo.admin_ctx.require_actor().workspace_id)}
    await rules.create_rule(
        demo.admin_ctx,
        {
            "name": "Ligar para lead novo em até 1 hora",
            "trigger": {"kind": "LEAD_CAPTURED"},
            "actions": [
                {
                    "create_task": {
                        "title": "Ligar para {{contact.name}}",
                        "due_in_minutes": 60,
                        "assign_to": "OWNER",
                    }
                }
            ],
        },
    )
    await rules.create_rule(
        demo.admin_ctx,
        {
            "name": "E-mail de confirmação da visita",
            "trigger": {
                "kind": "DEAL_STAGE_CHANGED",
                "to_stage_id": encode_id("Stage", stages["Visita agendada"].id),
            },
            "actions": [
                {
                    "send_email": {
                        "to": "CONTACT",
                        "subject": "Sua visita está agendada",
                        "body": "Olá, {{contact.name}}! Sua visita para {{deal.title}} está confirmada. "
                        "Qualquer dúvida, fale com {{owner.name}}.",
                    }
                }
            ],
        },
    )
    await rules.create_rule(
        demo.admin_ctx,
        {
            "name": "Avisar o gestor quando um negócio é perdido",
            "trigger": {
                "kind": "DEAL_STAGE_CHANGED",
                "to_stage_id": encode_id("Stage", stages["Perdido"].id),
            },
            "actions": [
                {"notify": {"to": "MANAGER", "message": "Negócio perdido: {{deal.title}} ({{owner.name}})"}}
            ],
        },
    )


SECTIONS: list[Section] = [
    add_people,
    add_companies,
    add_developments,
    add_contacts,
    add_interests,
    add_activities,
    add_pipeline,
    add_queues,
    add_rules,
    add_inbox,
]


async def load_demo(settings: Settings) -> tuple[str, str] | None:
    """Load the demo workspace when the database has no workspace yet and
    return the admin's (e-mail, password); None when it was not empty."""
    if await Workspace.exists():
        return None
    password = DEVELOPMENT_PASSWORD if not settings.production else secrets.token_urlsafe(12)
    # The operator asked for the demo explicitly: a closed public sign-up
    # must not stop it.
    ctx = Context(settings=dataclasses.replace(settings, allow_signup=True), client_ip="demo")
    signed = await identity.sign_up(
        ctx, workspace_name=WORKSPACE_NAME, name=ADMIN.name, email=ADMIN.email, password=password
    )
    admin = signed.user
    demo = Demo(
        rng=random.Random(SEED),
        settings=settings,
        admin_ctx=ctx.for_actor(Actor(admin.workspace_id, admin.id, admin.role)),
        password=password,
    )
    for section in SECTIONS:
        await section(demo)
    return ADMIN.email, password
