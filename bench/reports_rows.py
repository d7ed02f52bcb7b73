"""Phase 2 of the reports benchmark's workspace (bench/reports_data.py):
every row the lead use cases would have written for 100,000 leads over two
years, in memory, ids in time order (see reports_data's docstring for what
each lead gets)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from reports_data import CAMPAIGNS, LOSS_REASONS, MEDIA, REGIONS, SEED, SOURCES, Skeleton, pick

from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.stage_entries import Entry, entry_facts, local_day

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


class Rows:
    """Rows by table, ids handed out later in time order."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {}

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self.tables.setdefault(table, []).append(row)
        return row


def generate(sk: Skeleton, *, deals: int, events: int, now: datetime, first_ids: dict[str, int]) -> Rows:
    """Every row of phase 2, in memory, ids assigned in time order per table
    after `first_ids` (the highest id of each table after phase 1)."""
    rng = random.Random(SEED)
    rows = Rows()
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
        source = pick(rng, SOURCES)
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
            media, campaign = pick(rng, MEDIA), rng.choice(CAMPAIGNS) or None
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
                target, lost_reason = lost, pick(rng, LOSS_REASONS)
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
    _stage_entries(sk, rows)
    return rows


def _stage_entries(sk: Skeleton, rows: Rows) -> None:
    """The funnel's cohort facts of every transition, as moveDeal keeps
    them (resolvers/stage_entries.py: the same function derives them)."""
    stages = {s["id"]: (s["position"], s["kind"]) for p in sk.pipelines for s in p["stages"]}
    pipeline_of = {s["id"]: p["id"] for p in sk.pipelines for s in p["stages"]}
    transitions = rows.tables["stage_transition"]
    deals = {d["id"]: d for d in rows.tables["deal"]}
    # The rollups' days (migration 0031): the workspace's zone, the
    # default of a signed-up workspace (the triggers sum stage_day).
    zone = ZoneInfo("America/Sao_Paulo")
    facts = entry_facts(
        (Entry(t["id"], t["deal_id"], t["to_stage_id"], t["at"]) for t in transitions), stages
    )
    for t in transitions:
        fact = facts[t["id"]]
        rows.add(
            "deal_stage_entry",
            {
                "id": t["id"],
                "workspace_id": t["workspace_id"],
                "deal_id": t["deal_id"],
                "pipeline_id": pipeline_of[t["to_stage_id"]],
                "stage_id": t["to_stage_id"],
                "entered_at": t["at"],
                "left_at": fact.left_at,
                "stay_seconds": fact.stay_seconds,
                "reached_higher": fact.reached_higher,
                "prev_same_at": fact.prev_same_at,
                "owner_id": deals[t["deal_id"]]["owner_id"],
                "deleted_at": deals[t["deal_id"]].get("deleted_at"),
                "entered_day": local_day(t["at"], zone),
                "left_day": local_day(fact.left_at, zone),
                "prev_day": local_day(fact.prev_same_at, zone),
            },
        )


BOARD_KINDS = {"deal.created", "deal.updated", "deal.stage_changed"}


def _number_in_time_order(rows: Rows, first_ids: dict[str, int]) -> None:
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
