"""The demo workspace that `revgraph serve --demo` loads into an empty database:
a Brazilian real-estate pre-sales team with its leads, so a newcomer sees
something real at once.

Everything goes through the same use cases as the API (resolvers/), so the
timeline and the event log are real. The data comes from a fixed seed: two
loads produce the same workspace. Each section is one function appended to
SECTIONS; later features (pipelines, queues, automations) add theirs."""

from __future__ import annotations

import dataclasses
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from revgraph.models.identity import Team, User, Workspace
from revgraph.resolvers import identity
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.settings import Settings
from revgraph.web.demo_data import (
    AGENTS,
    MANAGERS,
    TEAMS,
    WORKSPACE_NAME,
    Person,
)

SEED = 2026
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
    companies: list[Any] = field(default_factory=list)
    contacts: list[Any] = field(default_factory=list)

    def as_user(self, user: User) -> Context:
        """A context acting as `user`, so the timeline names who did what."""
        return self.admin_ctx.for_actor(Actor(user.workspace_id, user.id, user.role))


Section = Callable[[Demo], Awaitable[None]]


async def add_people(demo: Demo) -> None:
    """Teams form a tree under "Comercial"; managers run it, agents sit in the leaves."""
    ctx = demo.admin_ctx
    managers: dict[str, User] = {}
    for person in MANAGERS:
        managers[person.email] = await identity.create_user(
            ctx, name=person.name, email=person.email, password=demo.password, role="MANAGER", team_id=None
        )
    demo.managers = list(managers.values())
    for team in TEAMS:
        manager = managers.get(team.manager_email or "")
        parent = demo.teams.get(team.parent or "")
        demo.teams[team.name] = await identity.create_team(
            ctx,
            name=team.name,
            manager_id=encode_id("User", manager.id) if manager else None,
            parent_id=encode_id("Team", parent.id) if parent else None,
        )
    for team_name, person in AGENTS:
        demo.agents.append(
            await identity.create_user(
                ctx,
                name=person.name,
                email=person.email,
                password=demo.password,
                role="AGENT",
                team_id=encode_id("Team", demo.teams[team_name].id),
            )
        )


SECTIONS: list[Section] = [add_people]


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
