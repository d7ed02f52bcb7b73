"""The reports benchmark's workspace: 50 users in a team tree, 3 pipelines,
3 roletas, then 100,000 leads over two years (contact, first touchpoint,
assignment, deal, stage moves to WON/LOST with loss reasons, visit tasks,
notes) and 1,000,000 log events, written in bulk with the raw driver.

Two phases:
1. Through the API, on a running `revgraph serve` (`skeleton`): sign-up,
   teams, users, pipelines and queues, so that what people log in with and
   configure is exactly what the use cases write.
2. Straight into the database (`bulk`, server stopped): every row the lead
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

import json
import random
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

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


def _pick(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
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


# ---------------------------------------------------------------- phase 2: rows

TASK_TITLE = "Visita ao imóvel"
NOTE_BODIES = [
    "Cliente pediu fotos da varanda.",
    "Ligar de novo amanhã à tarde.",
    "Prefere andar alto, 2 vagas.",
    "Aguardando simulação do financiamento.",
    "Enviei a tabela de preços pelo WhatsApp.",
]


def _json(value: Any) -> str:
    # What the rows written through Tortoise hold: compact, ASCII-escaped.
    return json.dumps(value, separators=(",", ":"))


class _Rows:
    """Rows by table, ids handed out later in time order."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {}

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self.tables.setdefault(table, []).append(row)
        return row


def generate(sk: Skeleton, *, deals: int, events: int, now: datetime, first_ids: dict[str, int]) -> _Rows:
    """Every row of phase 2, in memory, ids assigned in time order per table
    after `first_ids` (the highest id of each table after phase 1)."""
    rng = random.Random(SEED)
    rows = _Rows()
    ws, admin = sk.workspace_id, sk.admin_id
    span = timedelta(days=730).total_seconds()
    starts = sorted(now - timedelta(seconds=rng.random() * span + 3600) for _ in range(deals))
    pointers = {region: 0 for region in sk.regions}
    shares = [p["share"] for p in sk.pipelines]
    tick = timedelta(milliseconds=1)
    # Ids are assigned after sorting; rows that must name another row's id
    # before that (a touchpoint in lead.captured...) are numbered by creation
    # order, which is time order for contacts, deals, touchpoints.
    for i, t0 in enumerate(starts):
        contact_id, deal_id = first_ids["contact"] + i + 1, first_ids["deal"] + i + 1
        region = rng.choice(REGIONS)
        queue = sk.regions[region]
        agent = queue["agents"][pointers[region] % len(queue["agents"])]
        agent_name = sk.users[agent]["name"]
        source = _pick(rng, SOURCES)
        pipeline = rng.choices(sk.pipelines, weights=shares)[0]
        stages = pipeline["stages"]
        name = f"Cliente {i + 1:06d}"
        email, phone = f"cliente{i + 1:06d}@exemplo.com.br", f"+5511{900000000 + i:09d}"
        captured = source != ""
        rows.add(
            "contact",
            {
                "id": contact_id,
                "number": i + 1,
                "name": name,
                "name_search": name.lower(),
                "email": email,
                "phone": phone,
                "phone_digits": phone[1:],
                "lifecycle_stage": "LEAD",
                "score": 0,
                "source": source or None,
                "custom_fields": "{}",
                "created_at": t0,
                "updated_at": t0 + 5 * tick,
                "deleted_at": None,
                "company_id": None,
                "merged_into_id": None,
                "owner_id": agent,
                "workspace_id": ws,
            },
        )
        ev = dict(workspace_id=ws, contact_id=contact_id, dispatched=True)
        contact_json = {
            "name": name,
            "email": email,
            "phone": phone,
            "companyId": None,
            "ownerId": None if captured else encode_id("User", agent),
            "lifecycleStage": "LEAD",
            "source": source or None,
            "tags": [],
            "customFields": {},
        }
        title = f"{name} ({source})" if captured else f"Apartamento {name}"
        deal_ev = dict(ev, deal_id=deal_id, pipeline_id=pipeline["id"])
        if captured:
            pointers[region] += 1
            media, campaign = _pick(rng, MEDIA), rng.choice(CAMPAIGNS) or None
            touchpoint = rows.add(
                "touchpoint",
                {
                    "source": source,
                    "media": media,
                    "campaign": campaign,
                    "utm": "{}",
                    "landing_page": None,
                    "message": None,
                    "at": t0 + tick,
                    "contact_id": contact_id,
                    "form_id": None,
                    "workspace_id": ws,
                },
            )
            touchpoint["id"] = first_ids["touchpoint"] + len(rows.tables["touchpoint"])
            rows.add(
                "event",
                dict(
                    ev,
                    kind="contact.created",
                    actor_user_id=admin,
                    at=t0,
                    summary=f"Lead {name} arrived from {source}",
                    data={"contact": contact_json},
                ),
            )
            rows.add(
                "event",
                dict(
                    ev,
                    kind="lead.captured",
                    actor_user_id=admin,
                    at=t0 + tick,
                    summary=f"Lead {name} captured from {source}",
                    data={
                        "source": source,
                        "media": media,
                        "campaign": campaign,
                        "utm": {},
                        "landingPage": None,
                        "formId": None,
                        "touchpointId": touchpoint["id"],
                        "message": None,
                        "created": True,
                    },
                ),
            )
            rows.add(
                "event",
                dict(
                    deal_ev,
                    kind="deal.created",
                    actor_user_id=admin,
                    at=t0 + 3 * tick,
                    summary=f"Deal {title} opened in {stages[0]['name']}",
                    data={
                        "dealId": deal_id,
                        "title": title,
                        "toStageId": stages[0]["id"],
                        "owners": [None, None],
                    },
                ),
            )
            position_in_turn = (pointers[region] - 1) % len(queue["agents"])
            reason = (
                f"ROUND_ROBIN: next in turn is {agent_name} (position {position_in_turn}). Nobody skipped."
            )
            assignment = rows.add(
                "assignment",
                {
                    "status": "ASSIGNED",
                    "reason": reason,
                    "previous_owner_id": None,
                    "at": t0 + 5 * tick,
                    "assigned_at": t0 + 4 * tick,
                    "released_at": None,
                    "worked_at": None,
                    "contact_id": contact_id,
                    "deal_id": None,
                    "queue_id": queue["queue"],
                    "user_id": agent,
                    "workspace_id": ws,
                },
            )
            assignment["id"] = first_ids["assignment"] + len(rows.tables["assignment"])
            rows.add(
                "event",
                dict(
                    ev,
                    kind="assignment.made",
                    actor_user_id=admin,
                    at=t0 + 5 * tick,
                    summary=f"Lead assigned to {agent_name} by Roleta {region}",
                    data={
                        "assignmentId": assignment["id"],
                        "queueId": queue["queue"],
                        "userId": agent,
                        "previousOwnerId": None,
                        "strategy": "ROUND_ROBIN",
                        "reason": reason,
                        "fromBacklog": False,
                    },
                ),
            )
            rows.add(
                "event",
                dict(
                    deal_ev,
                    kind="deal.updated",
                    actor_user_id=admin,
                    at=t0 + 6 * tick,
                    summary=f"Deal {title} handed to {agent_name}",
                    data={
                        "dealId": deal_id,
                        "title": title,
                        "changes": {"owner_id": {"from": None, "to": agent}},
                        "owners": [None, agent],
                    },
                ),
            )
        else:
            assignment = None
            rows.add(
                "event",
                dict(
                    ev,
                    kind="contact.created",
                    actor_user_id=agent,
                    at=t0,
                    summary=f"{agent_name} created contact {name}",
                    data={"contact": contact_json},
                ),
            )
            rows.add(
                "event",
                dict(
                    deal_ev,
                    kind="deal.created",
                    actor_user_id=agent,
                    at=t0 + 3 * tick,
                    summary=f"Deal {title} opened in {stages[0]['name']}",
                    data={
                        "dealId": deal_id,
                        "title": title,
                        "toStageId": stages[0]["id"],
                        "owners": [None, agent],
                    },
                ),
            )
        rows.add(
            "stage_transition",
            {
                "actor_label": None,
                "at": t0 + 3 * tick,
                "actor_user_id": admin if captured else agent,
                "deal_id": deal_id,
                "from_stage_id": None,
                "to_stage_id": stages[0]["id"],
                "workspace_id": ws,
            },
        )
        version = 2 if captured else 1
        # The agent prices it (and, for most, expects a closing month).
        valued_at = t0 + timedelta(minutes=rng.randrange(5, 600))
        value = (
            Decimal(rng.randrange(1500, 30000) * 100)
            if pipeline["name"] != "Locação"
            else Decimal(rng.randrange(150, 900) * 10)
        )
        value = value.quantize(Decimal("0.01"))
        changes: dict[str, Any] = {"value": {"from": None, "to": str(value)}}
        expected = None
        if rng.random() < 0.6:
            expected = (t0 + timedelta(days=rng.randrange(30, 180))).replace(
                hour=12, minute=0, second=0, microsecond=0
            )
            changes["expected_close_date"] = {"from": None, "to": expected.isoformat()}
        if valued_at < now:
            version += 1
            rows.add(
                "event",
                dict(
                    deal_ev,
                    kind="deal.updated",
                    actor_user_id=agent,
                    at=valued_at,
                    summary=f"Deal {title} updated",
                    data={"dealId": deal_id, "title": title, "changes": changes, "owners": [agent, agent]},
                ),
            )
        else:
            value, expected = None, None
        # The moves.
        position, at, lost_reason = 0, t0 + 3 * tick, None
        open_last = max(s["position"] for s in stages if s["kind"] == "OPEN")
        won = next(s for s in stages if s["kind"] == "WON")
        lost = next(s for s in stages if s["kind"] == "LOST")
        worked = None
        while True:
            step = at + timedelta(seconds=max(600.0, rng.expovariate(1 / (3 * 86400))))
            if step >= now:
                break
            roll = rng.random()
            if roll < 0.16:
                target, lost_reason = lost, _pick(rng, LOSS_REASONS)
            elif roll < 0.21 and position > 0:
                target = stages[position - 1]
            elif roll < 0.80:
                target = stages[position + 1] if position < open_last else won
            else:
                break  # it stays where it is
            rows.add(
                "stage_transition",
                {
                    "actor_label": None,
                    "at": step,
                    "actor_user_id": agent,
                    "deal_id": deal_id,
                    "from_stage_id": stages[position]["id"],
                    "to_stage_id": target["id"],
                    "workspace_id": ws,
                },
            )
            rows.add(
                "event",
                dict(
                    deal_ev,
                    kind="deal.stage_changed",
                    actor_user_id=agent,
                    at=step + tick,
                    summary=f"Deal {title} moved from {stages[position]['name']} to {target['name']}",
                    data={
                        "dealId": deal_id,
                        "title": title,
                        "fromStageId": stages[position]["id"],
                        "toStageId": target["id"],
                        "afterDealId": None,
                        "afterDealOwnerId": None,
                        "changes": {},
                        "owners": [agent, agent],
                        "lostReason": lost_reason if target is lost else None,
                    },
                ),
            )
            worked = worked or step
            version += 1
            position, at = target["position"], step
            if target["kind"] != "OPEN":
                break
        stage = stages[position]
        if assignment is not None and worked is not None:
            assignment["worked_at"] = worked
        rows.add(
            "deal",
            {
                "id": deal_id,
                "number": i + 1,
                "title": title,
                "title_search": title.lower(),
                "value": value,
                "currency": "BRL",
                "status": stage["kind"],
                "expected_close_date": expected,
                "lost_reason": lost_reason if stage["kind"] == "LOST" else None,
                "custom_fields": "{}",
                "version": version,
                "rank": 0,
                "stage_entered_at": at,
                "closed_at": at if stage["kind"] != "OPEN" else None,
                "created_at": t0 + 2 * tick,
                "updated_at": max(at, valued_at if value is not None else at),
                "deleted_at": None,
                "company_id": None,
                "contact_id": contact_id,
                "owner_id": agent,
                "pipeline_id": pipeline["id"],
                "stage_id": stage["id"],
                "workspace_id": ws,
                "development_id": None,
            },
        )
        # Half get a visit, most of those done.
        if rng.random() < 0.5:
            created = t0 + timedelta(hours=rng.uniform(1, 96))
            if created < now:
                due = (created + timedelta(days=rng.randrange(1, 8))).replace(
                    hour=rng.choice([13, 17, 19]), minute=0, second=0, microsecond=0
                )
                done_at = due + timedelta(hours=rng.uniform(0.5, 3)) if rng.random() < 0.7 else None
                if done_at is not None and done_at >= now:
                    done_at = None
                task = rows.add(
                    "task",
                    {
                        "title": TASK_TITLE,
                        "due_at": due,
                        "done": done_at is not None,
                        "done_at": done_at,
                        "deal_id": deal_id,
                        "created_at": created,
                        "assignee_id": agent,
                        "contact_id": contact_id,
                        "created_by_id": agent,
                        "workspace_id": ws,
                    },
                )
                task["_events"] = [
                    dict(
                        ev,
                        kind="task.created",
                        actor_user_id=agent,
                        at=created + tick,
                        summary=f"{agent_name} created task {TASK_TITLE}",
                        data={
                            "title": TASK_TITLE,
                            "dueAt": due.isoformat(),
                            "assigneeId": encode_id("User", agent),
                        },
                    )
                ]
                if done_at is not None:
                    task["_events"].append(
                        dict(
                            ev,
                            kind="task.completed",
                            actor_user_id=agent,
                            at=done_at + tick,
                            summary=f"{agent_name} completed task {TASK_TITLE}",
                            data={"title": TASK_TITLE},
                        )
                    )
                    if assignment is not None and (
                        assignment["worked_at"] is None or done_at < assignment["worked_at"]
                    ):
                        assignment["worked_at"] = done_at
    # Tasks and their events in time order (their events name the task's id).
    tasks = sorted(rows.tables.get("task", []), key=lambda r: r["created_at"])
    rows.tables["task"] = tasks
    for n, task in enumerate(tasks, start=first_ids["task"] + 1):
        task["id"] = n
        for event in task.pop("_events"):
            event["data"] = {"taskId": encode_id("Task", n), **event["data"]}
            rows.add("event", event)
    # Notes fill the log to exactly `events`.
    missing = events - len(rows.tables["event"])
    if missing < 0:
        raise ValueError(f"{len(rows.tables['event'])} events before notes, more than {events}")
    deal_rows = rows.tables["deal"]
    notes = []
    for _ in range(missing):
        deal = deal_rows[rng.randrange(len(deal_rows))]
        at = deal["created_at"] + timedelta(seconds=rng.random() * (now - deal["created_at"]).total_seconds())
        notes.append((at, deal, rng.choice(NOTE_BODIES)))
    notes.sort(key=lambda n: n[0])
    for n, (at, deal, body) in enumerate(notes, start=first_ids["note"] + 1):
        author = deal["owner_id"]
        rows.add(
            "note",
            {
                "id": n,
                "body": body,
                "contact_id": deal["contact_id"],
                "deal_id": deal["id"],
                "author_id": author,
                "created_at": at,
                "workspace_id": ws,
            },
        )
        rows.add(
            "event",
            {
                "workspace_id": ws,
                "contact_id": deal["contact_id"],
                "deal_id": deal["id"],
                "dispatched": True,
                "kind": "note.added",
                "actor_user_id": author,
                "at": at + tick,
                "summary": f"{sk.users[author]['name']} added a note: {body[:80]}",
                "data": {"noteId": n, "body": body},
            },
        )
    _number_in_time_order(rows, first_ids)
    return rows


BOARD_KINDS = {"deal.created", "deal.updated", "deal.stage_changed"}


def _number_in_time_order(rows: _Rows, first_ids: dict[str, int]) -> None:
    """Ids for the tables still without them, in time order; board
    sequences per pipeline; JSON payloads serialised; column ranks (the
    newest card of a column on top, as rank_after puts it)."""
    for table, key in (("stage_transition", "at"), ("assignment", "at"), ("event", "at")):
        found = rows.tables.get(table, [])
        if table == "event":
            found.sort(key=lambda r: r["at"])
            sequences: dict[int, int] = {}
            for row in found:
                if row["kind"] in BOARD_KINDS:
                    sequences[row["pipeline_id"]] = sequences.get(row["pipeline_id"], 0) + 1
                    row["board_sequence"] = sequences[row["pipeline_id"]]
                row["data"] = _json(row["data"])
            rows.board_sequences = sequences  # type: ignore[attr-defined]
        elif table == "stage_transition":
            found.sort(key=lambda r: r[key])
        if table != "assignment":
            for n, row in enumerate(found, start=first_ids[table] + 1):
                row["id"] = n
    for rank, deal in enumerate(sorted(rows.tables["deal"], key=lambda d: d["stage_entered_at"])):
        deal["rank"] = -(rank + 1) * (1 << 16)


TABLES = ("contact", "touchpoint", "assignment", "deal", "stage_transition", "task", "note", "event")


def _sqlite_path(url: str) -> str:
    return url[len("sqlite://") :]


def _pg_connect(url: str):  # -> asyncpg connection (awaitable)
    import asyncpg

    parsed = urlparse(url)
    return asyncpg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.path.lstrip("/"),
    )


async def first_ids(url: str) -> dict[str, int]:
    """The highest id of each bulk table after phase 1."""
    if url.startswith("sqlite"):
        with sqlite3.connect(_sqlite_path(url)) as db:
            return {t: db.execute(f'SELECT coalesce(max(id), 0) FROM "{t}"').fetchone()[0] for t in TABLES}
    conn = await _pg_connect(url)
    try:
        return {t: await conn.fetchval(f'SELECT coalesce(max(id), 0) FROM "{t}"') for t in TABLES}
    finally:
        await conn.close()


def _sqlite_value(value: Any) -> Any:
    # Tortoise on SQLite: datetimes as str(), decimals as text, booleans 0/1.
    if isinstance(value, datetime):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _tuples(rows: list[dict[str, Any]], columns: list[str], convert: Any) -> list[tuple]:
    unknown = set(rows[0]) - set(columns) if rows else set()
    if unknown:
        raise RuntimeError(f"columns {unknown} are not in the table")
    return [tuple(convert(row.get(c)) for c in columns) for row in rows]


async def write(url: str, sk: Skeleton, rows: _Rows) -> dict[str, int]:
    """Insert every table's rows in bulk, then move the counters the use
    cases move (contact and deal numbers, the log position, pipelines'
    board sequences, queues' assignment counts) and gather statistics."""
    counts = {t: len(rows.tables.get(t, [])) for t in TABLES}
    board: dict[int, int] = rows.board_sequences  # type: ignore[attr-defined]
    per_queue: dict[int, int] = {}
    for row in rows.tables["assignment"]:
        per_queue[row["queue_id"]] = per_queue.get(row["queue_id"], 0) + 1
    ws = sk.workspace_id
    counters = [("contact", counts["contact"]), ("deal", counts["deal"]), ("log", counts["event"])]
    if url.startswith("sqlite"):
        with sqlite3.connect(_sqlite_path(url)) as db:
            for table in TABLES:
                columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
                marks = ", ".join("?" * len(columns))
                names = ", ".join(f'"{c}"' for c in columns)
                db.executemany(
                    f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                    _tuples(rows.tables.get(table, []), columns, _sqlite_value),
                )
            for name, added in counters:
                db.execute(
                    "UPDATE sequence_counter SET value = value + ? WHERE workspace_id = ? AND name = ?",
                    (added, ws, name),
                )
            for pipeline_id, sequence in board.items():
                db.execute(
                    "UPDATE pipeline SET board_sequence = board_sequence + ? WHERE id = ?",
                    (sequence, pipeline_id),
                )
            for queue_id, made in per_queue.items():
                db.execute(
                    "UPDATE queue SET assignments_made = assignments_made + ? WHERE id = ?", (made, queue_id)
                )
            db.commit()
            db.execute("ANALYZE")
        return counts
    conn = await _pg_connect(url)
    try:
        async with conn.transaction():
            for table in TABLES:
                columns = [
                    r["column_name"]
                    for r in await conn.fetch(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                        table,
                    )
                ]
                await conn.copy_records_to_table(
                    table, records=_tuples(rows.tables.get(table, []), columns, lambda v: v), columns=columns
                )
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
                )
            for name, added in counters:
                await conn.execute(
                    "UPDATE sequence_counter SET value = value + $1 WHERE workspace_id = $2 AND name = $3",
                    added,
                    ws,
                    name,
                )
            for pipeline_id, sequence in board.items():
                await conn.execute(
                    "UPDATE pipeline SET board_sequence = board_sequence + $1 WHERE id = $2",
                    sequence,
                    pipeline_id,
                )
            for queue_id, made in per_queue.items():
                await conn.execute(
                    "UPDATE queue SET assignments_made = assignments_made + $1 WHERE id = $2", made, queue_id
                )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return counts
