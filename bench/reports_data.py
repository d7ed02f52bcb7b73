"""The reports benchmark's workspace: 50 users in a team tree, 3 pipelines,
3 roletas, then 100,000 leads over two years (contact, first touchpoint,
assignment, deal, stage moves to WON/LOST with loss reasons, visit tasks,
notes) and 1,000,000 log events, written in bulk with the raw driver.

Two phases:
1. Through the API, on a running `revgraph serve` (`skeleton`): sign-up,
   teams, users, pipelines and queues, so that what people log in with and
   configure is exactly what the use cases write.
2. Straight into the database, server stopped (bench/reports_rows.py
   makes the rows, bench/reports_write.py writes them): every row the lead
   use cases would have written, with the same columns, JSON payloads and
   event kinds as captureLead, createDeal/updateDeal, moveDeal, createTask/
   completeTask and addNote (checked against rows those use cases wrote):
   - contact (number in creation order, owner = the assignee), its
     touchpoint (source/media/campaign), `contact.created` + `lead.captured`;
   - deal (first stage, `deal.created` with its board sequence), the
     roleta's `assignment.made` (round robin in the region's queue) and the
     `deal.updated` handing it to the agent, a second `deal.updated` setting
     its value;
   - stage moves (a transition + `deal.stage_changed` each, board sequence
     gap-free per pipeline): forward a stage at a time after 0.5-10 days,
     sometimes back one, ending OPEN, WON or LOST (with a loss reason);
     the assignee's first move marks the assignment worked;
   - half of the deals get a visit task (`task.created`), most completed
     (`task.completed`); notes (`note.added`) fill the log to exactly
     `events` events.
   Ids follow time in every table (the log's id is its order), the
   workspace's counters (contact, deal, log) and the pipelines' board
   sequences are moved as the use cases would have, then ANALYZE.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from board_common import CREATE_PIPELINE, CREATE_USER, PASSWORD, SIGN_UP, Api

from revgraph.resolvers.ids import encode_id, pk_of

SEED = 2026
ADMIN_EMAIL = "admin@bench-reports.example"
REGIONS = ["SP", "RJ", "Sul"]
PIPELINES = [
    # name, share of the leads, stages (name, kind, probability)
    (
        "Vendas",
        0.7,
        [
            ("Novo lead", "OPEN", 5),
            ("Em contato", "OPEN", 10),
            ("Visita agendada", "OPEN", 20),
            ("Visita feita", "OPEN", 35),
            ("Proposta", "OPEN", 55),
            ("Negociação", "OPEN", 75),
            ("Ganho", "WON", 100),
            ("Perdido", "LOST", 0),
        ],
    ),
    (
        "Locação",
        0.2,
        [
            ("Novo", "OPEN", 10),
            ("Visita", "OPEN", 30),
            ("Proposta", "OPEN", 60),
            ("Contrato assinado", "WON", 100),
            ("Perdido", "LOST", 0),
        ],
    ),
    (
        "Lançamento Jardins",
        0.1,
        [
            ("Interessado", "OPEN", 10),
            ("Visita ao decorado", "OPEN", 30),
            ("Reserva", "OPEN", 70),
            ("Vendido", "WON", 100),
            ("Desistiu", "LOST", 0),
        ],
    ),
]
SOURCES = [("site", 30), ("whatsapp", 25), ("instagram", 15), ("portal", 15), ("indicacao", 10), ("", 5)]
MEDIA = [("paid", 50), ("organic", 35), ("referral", 15)]
CAMPAIGNS = ["Lançamento Jardins", "Black Friday", "Feirão", "Verão", "Google Search", ""]
LOSS_REASONS = [
    ("Preço", 30),
    ("Financiamento negado", 20),
    ("Comprou com concorrente", 15),
    ("Sem retorno", 20),
    ("Desistiu da compra", 10),
    ("Localização", 5),
]
LIFECYCLE = [("LEAD", 50), ("MQL", 20), ("SQL", 15), ("OPPORTUNITY", 10), ("DISQUALIFIED", 5)]


def pick(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


@dataclass
class Skeleton:
    """What phase 1 made: primary keys, and the log-ins the bench uses."""

    workspace_id: int
    admin_id: int
    users: dict[int, dict[str, Any]]  # pk -> {name, email, role, team}
    teams: dict[str, int]  # name -> pk
    regions: dict[str, dict[str, Any]]  # region -> {team, queue, agents: [pk]}
    pipelines: list[dict[str, Any]]  # {id, name, share, stages: [{id, name, kind, position}]}
    admin_token: str = ""
    counts: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------- phase 1: API

CREATE_TEAM = (
    "mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } userErrors { message } } }"
)
CREATE_QUEUE = "mutation($i: QueueInput!) { createQueue(input: $i) { queue { id } userErrors { message } } }"
UPDATE_USER = "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { user { id } userErrors { message } } }"


async def skeleton(api: Api) -> Skeleton:
    """Sign-up, a team tree (Diretoria > 3 regionals > 2 teams each), 50
    users (admin, director, 3 regional and 6 team managers, 39 agents), the
    pipelines and a round-robin roleta per region, all through the API."""
    signed = await api.ok(
        SIGN_UP,
        {
            "input": {
                "workspaceName": "Imobiliária Bench",
                "name": "Ana Administradora",
                "email": ADMIN_EMAIL,
                "password": PASSWORD,
            }
        },
    )
    token = signed["signUp"]["token"]
    admin_id = pk_of(signed["signUp"]["user"]["id"], "User")
    users: dict[int, dict[str, Any]] = {
        admin_id: {"name": "Ana Administradora", "email": ADMIN_EMAIL, "role": "ADMIN", "team": None}
    }

    async def user(name: str, role: str, team: int | None) -> int:
        email = f"{name.lower().replace(' ', '.')}@bench-reports.example"
        values = {"name": name, "email": email, "password": PASSWORD, "role": role}
        if team is not None:
            values["teamId"] = encode_id("Team", team)
        made = await api.ok(CREATE_USER, {"input": values}, token)
        pk = pk_of(made["createUser"]["user"]["id"], "User")
        users[pk] = {"name": name, "email": email, "role": role, "team": team}
        return pk

    async def team(name: str, manager: int, parent: int | None) -> int:
        values = {"name": name, "managerId": encode_id("User", manager)}
        if parent is not None:
            values["parentId"] = encode_id("Team", parent)
        made = await api.ok(CREATE_TEAM, {"i": values}, token)
        pk = pk_of(made["createTeam"]["team"]["id"], "Team")
        await api.ok(
            UPDATE_USER, {"id": encode_id("User", manager), "i": {"teamId": encode_id("Team", pk)}}, token
        )
        users[manager]["team"] = pk
        return pk

    teams: dict[str, int] = {}
    director = await user("Diretor Comercial", "MANAGER", None)
    teams["Diretoria"] = await team("Diretoria", director, None)
    regions: dict[str, dict[str, Any]] = {}
    agent_number = 0
    for r, region in enumerate(REGIONS):
        regional = await user(f"Gerente {region}", "MANAGER", None)
        regional_team = await team(f"Regional {region}", regional, teams["Diretoria"])
        teams[f"Regional {region}"] = regional_team
        agents: list[int] = []
        for t in (1, 2):
            leader = await user(f"Coordenador {region} {t}", "MANAGER", None)
            squad = await team(f"Equipe {region} {t}", leader, regional_team)
            teams[f"Equipe {region} {t}"] = squad
            # 39 agents: 7, 7, 7, 6, 6, 6 per team.
            for _ in range(7 if r * 2 + t <= 3 else 6):
                agent_number += 1
                agents.append(await user(f"Corretor {agent_number:02d}", "AGENT", squad))
        queue = await api.ok(
            CREATE_QUEUE,
            {
                "i": {
                    "name": f"Roleta {region}",
                    "mode": "OFFLINE",
                    "strategy": "ROUND_ROBIN",
                    "teamId": encode_id("Team", regional_team),
                    "members": [{"userId": encode_id("User", a)} for a in agents],
                }
            },
            token,
        )
        regions[region] = {
            "team": regional_team,
            "queue": pk_of(queue["createQueue"]["queue"]["id"], "Queue"),
            "agents": agents,
        }
    pipelines = []
    for name, share, stages in PIPELINES:
        made = await api.ok(
            CREATE_PIPELINE,
            {
                "input": {
                    "name": name,
                    "stages": [{"name": s, "kind": k, "probability": p} for s, k, p in stages],
                }
            },
            token,
        )
        made_stages = made["createPipeline"]["pipeline"]["stages"]
        pipelines.append(
            {
                "id": pk_of(made["createPipeline"]["pipeline"]["id"], "Pipeline"),
                "name": name,
                "share": share,
                "stages": [
                    {"id": pk_of(s["id"], "Stage"), "name": s["name"], "kind": kind, "position": i}
                    for i, (s, (_, kind, _)) in enumerate(zip(made_stages, stages, strict=True))
                ],
            }
        )
    workspace_id = pk_of(
        (await api.ok("query { workspace { id } }", {}, token))["workspace"]["id"], "Workspace"
    )
    return Skeleton(workspace_id, admin_id, users, teams, regions, pipelines, admin_token=token)
