"""10,000 distributions over 20 agents by 8 concurrent clients on two
`revgraph serve` processes sharing PostgreSQL (and Redis, with a worker):
assignments/s and latency per strategy, the spread of shares, and proof
that nobody got a lead twice.

    /work/venv/bin/python bench/distribution.py [--json out.json]

Plan (10,000 in all, each N a multiple of its strategy's cycle):
- ROUND_ROBIN 4,000 = 200 turns of the 20 agents: every agent exactly 200.
- WEIGHTED 3,000 with weights 1,2,3,4 repeating (cycle 50) = 60 cycles:
  every agent exactly 60 x weight; every aligned window of 50 exact too.
- LEAST_LOADED 3,000, run last: it counts each agent's open leads across
  all queues, so it first tops up the agents the WEIGHTED queue gave least
  and ends with every agent at exactly 500 open leads.

Contacts are inserted in bulk through the models (set_name/set_phone of
resolvers/contacts.py keep name_search/phone_digits as the API writes
them; no contact.created events): seeding is not what is measured.
Exit status 1 if any check fails."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from distribution_common import (
    AGENTS,
    ASSIGNMENT_COUNT,
    Api,
    Cluster,
    cluster,
    create_queue,
    load_average,
    pk,
    report,
    run,
    seed_workspace,
    spread,
    sql,
)

CLIENTS = 8
# The distributions stop after this long in all (then the run fails as
# incomplete), so the script ends within five minutes on any machine.
DISTRIBUTION_BUDGET_SECONDS = 230
WEIGHTS = [1 + i % 4 for i in range(AGENTS)]
PLAN = [("ROUND_ROBIN", 4_000, AGENTS), ("WEIGHTED", 3_000, sum(WEIGHTS)), ("LEAST_LOADED", 3_000, AGENTS)]
DISTRIBUTE = """
mutation($input: DistributeInput!) {
  distribute(input: $input) { assignment { id status user { id } } userErrors { code message field } }
}
"""


async def seed_contacts(database_url: str, workspace_pk: int, count: int) -> list[str]:
    """`count` fresh unowned leads, in bulk; their global ids in insertion order."""
    from tortoise import Tortoise

    from revgraph.models.crm import Contact
    from revgraph.resolvers.contacts import set_name, set_phone
    from revgraph.resolvers.database import tortoise_config
    from revgraph.resolvers.ids import encode_id
    from revgraph.resolvers.numbering import reserve_numbers
    from revgraph.resolvers.settings import Settings

    await Tortoise.init(config=tortoise_config(Settings(database_url=database_url)))
    try:
        rows = []
        first_number = await reserve_numbers(workspace_pk, "contact", count)
        for index in range(count):
            contact = Contact(
                workspace_id=workspace_pk,
                number=first_number + index,
                lifecycle_stage="LEAD",
                source="bench-seed",
                email=f"lead{index + 1}@bench-dist.example",
            )
            set_name(contact, f"Lead Roleta {index + 1}")
            set_phone(contact, None)
            rows.append(contact)
        await Contact.bulk_create(rows, batch_size=1000)
        pks = (
            await Contact.filter(workspace_id=workspace_pk, source="bench-seed")
            .order_by("id")
            .values_list("id", flat=True)
        )
    finally:
        await Tortoise.close_connections()
    return [encode_id("Contact", p) for p in pks]


async def distribute_all(
    cluster_: Cluster, token: str, queue_id: str, contact_ids: list[str], budget_seconds: float
) -> dict[str, Any]:
    """CLIENTS concurrent clients, alternating between the processes, each
    distributing its share one call at a time; they stop early when the
    budget is spent, so the script stays bounded on a slow machine."""
    clients = [Api(cluster_.servers[k % len(cluster_.servers)].url, connections=1) for k in range(CLIENTS)]
    latencies: list[float] = []
    errors: list[str] = []
    given: dict[str, str] = {}

    done: list[str] = []
    finished: list[float] = []

    async def client(k: int) -> None:
        for contact_id in contact_ids[k::CLIENTS]:
            if time.perf_counter() > deadline:
                return
            done.append(contact_id)
            started = time.perf_counter()
            try:
                data = await clients[k].ok(
                    DISTRIBUTE, {"input": {"queueId": queue_id, "contactId": contact_id}}, token=token
                )
                assignment = data["distribute"]["assignment"]
                if assignment["status"] != "ASSIGNED":
                    errors.append(f"{contact_id}: {assignment['status']}")
                given[contact_id] = assignment["user"]["id"]
            except Exception as error:
                errors.append(f"{contact_id}: {error!r}"[:300])
            finished.append(time.perf_counter())
            latencies.append(finished[-1] - started)

    cpu_before = [s.cpu_seconds() for s in cluster_.servers]
    started = time.perf_counter()
    deadline = started + budget_seconds
    try:
        await asyncio.gather(*(client(k) for k in range(CLIENTS)))
    finally:
        for api in clients:
            await api.aclose()
    elapsed = time.perf_counter() - started
    cpu = [round(s.cpu_seconds() - before, 1) for s, before in zip(cluster_.servers, cpu_before, strict=True)]
    return {
        "planned": len(contact_ids),
        "distributions": len(done),
        "seconds": round(elapsed, 2),
        "assignments_per_s": round(len(done) / elapsed, 1),
        "latency": spread(latencies),
        "per_s_by_quarter": rate_by_quarter(started, finished),
        "errors": len(errors),
        "first_errors": errors[:5],
        "server_cpu_s": cpu,
        "server_cpu_ms_per_call": round(sum(cpu) * 1e3 / max(len(done), 1), 1),
        "given": given,
        "done": done,
    }


def rate_by_quarter(started: float, finished: list[float]) -> list[float]:
    """Completions per second in each quarter of the run (by completion
    order): shows whether distributing slows down as leads pile up."""
    ends = sorted(finished)
    if len(ends) < 4:
        return []
    marks = [started] + [ends[len(ends) * q // 4 - 1] for q in range(1, 5)]
    return [round((len(ends) // 4) / max(b - a, 1e-9), 1) for a, b in pairwise(marks)]


async def open_leads_query_ms(conn: Any, agent_pks: list[int]) -> float:
    """Server time of the per-distribution open-leads count (resolvers/
    distribution/assign.py open_leads) once every lead is assigned."""
    plan = await conn.fetchval(
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT user_id, count(id) FROM assignment"
        " WHERE user_id = ANY($1::int[]) AND status = 'ASSIGNED' AND released_at IS NULL GROUP BY user_id",
        agent_pks,
    )
    return round(json.loads(plan)[0]["Execution Time"], 2)


async def read_back(conn: Any, queue_pk: int) -> list[tuple[int, int, int, bool]]:
    """(assignment id, contact pk, user pk, still open) of a queue, in decision order."""
    rows = await conn.fetch(
        "SELECT id, contact_id, user_id, status, released_at IS NULL AS open"
        " FROM assignment WHERE queue_id = $1 ORDER BY id",
        queue_pk,
    )
    if any(r["status"] != "ASSIGNED" for r in rows):
        raise AssertionError("a distribution was QUEUED although every member is eligible")
    return [(r["id"], r["contact_id"], r["user_id"], r["open"]) for r in rows]


def exact_windows(users: list[int], expected: Counter) -> tuple[int, int]:
    """How many aligned windows of sum(expected) decisions give each user exactly its share."""
    size = sum(expected.values())
    windows = [Counter(users[i : i + size]) for i in range(0, len(users) - size + 1, size)]
    return sum(w == expected for w in windows), len(windows)


async def check(
    conn: Any,
    api: Api,
    token: str,
    strategy: str,
    queue_id: str,
    contact_ids: list[str],
    given: dict[str, str],
    agent_pks: list[int],
    prior_load: Counter,
    *,
    complete: bool,
) -> tuple[dict[str, Any], list[str]]:
    """Read the queue's decisions back and check them: one per contact,
    as answered, and exact shares when the plan completed."""
    failures: list[str] = []
    rows = await read_back(conn, pk(queue_id, "Queue"))
    users = [user for _, _, user, _ in rows]
    shares = Counter(users)
    counts = [shares.get(a, 0) for a in agent_pks]
    contacts = Counter(contact for _, contact, _, _ in rows)
    expected_contacts = {pk(c, "Contact") for c in contact_ids}
    result: dict[str, Any] = {
        "assignments": len(rows),
        "share_min": min(counts),
        "share_max": max(counts),
        "share_max_minus_min": max(counts) - min(counts),
    }
    if len(rows) != len(contact_ids) or set(contacts) != expected_contacts:
        failures.append(f"{strategy}: {len(rows)} assignments for {len(contact_ids)} contacts")
    twice = sum(1 for n in contacts.values() if n > 1)
    result["contacts_assigned_twice"] = twice
    if twice:
        failures.append(f"{strategy}: {twice} contacts assigned twice")
    answered = {pk(c, "Contact"): pk(u, "User") for c, u in given.items()}
    mismatched = sum(1 for _, contact, user, _ in rows if answered.get(contact) != user)
    if mismatched:
        failures.append(f"{strategy}: {mismatched} answers disagree with the stored assignment")
    total = (await api.ok(ASSIGNMENT_COUNT, {"q": queue_id}, token=token))["assignments"]["totalCount"]
    made = await conn.fetchval("SELECT assignments_made FROM queue WHERE id = $1", pk(queue_id, "Queue"))
    result["graphql_total_count"] = total
    if total != len(contact_ids) or made != len(contact_ids):
        failures.append(f"{strategy}: totalCount {total}, assignments_made {made}")
    if not complete:
        failures.append(f"{strategy}: only {len(contact_ids)} distributions within the time budget")
    if strategy == "ROUND_ROBIN":
        exact, windows = exact_windows(users, Counter(dict.fromkeys(agent_pks, 1)))
        result["exact_turns"] = f"{exact}/{windows}"
        if complete and (result["share_max_minus_min"] or exact != windows):
            failures.append(f"ROUND_ROBIN not exact: {result}")
    elif strategy == "WEIGHTED":
        weight = dict(zip(agent_pks, WEIGHTS, strict=True))
        per_weight = [shares.get(a, 0) / weight[a] for a in agent_pks]
        result["share_per_weight_max_minus_min"] = max(per_weight) - min(per_weight)
        exact, windows = exact_windows(users, Counter(weight))
        result["exact_cycles"] = f"{exact}/{windows}"
        if complete and (result["share_per_weight_max_minus_min"] or exact != windows):
            failures.append(f"WEIGHTED not exact: {result}")
    else:
        # Each lead goes to a least-loaded agent, so once the earlier queues'
        # imbalance is filled the open leads per agent differ by at most one
        # (by none when they divide evenly).
        final = [prior_load.get(a, 0) + shares.get(a, 0) for a in agent_pks]
        needed = sum(max(prior_load.values(), default=0) - prior_load.get(a, 0) for a in agent_pks)
        allowed = 0 if sum(final) % len(agent_pks) == 0 else 1
        result["open_leads_after_min_max"] = [min(final), max(final)]
        if complete and len(rows) >= needed and max(final) - min(final) > allowed:
            failures.append(f"LEAST_LOADED did not level the open leads: {final}")
    return result, failures


def scaled(scale: float) -> list[tuple[str, int, int]]:
    """The plan with each N scaled, still a whole number of cycles."""
    return [(strategy, max(1, round(n * scale / cycle)) * cycle, cycle) for strategy, n, cycle in PLAN]


async def main(json_path: str | None, scale: float) -> int:
    plan = scaled(scale)
    results: dict[str, Any] = {
        "clients": CLIENTS,
        "agents": AGENTS,
        "servers": 2,
        "load_before": load_average(),
    }
    failures: list[str] = []
    async with cluster(servers=2) as cl:
        admin_api = Api(cl.servers[0].url)
        try:
            seeding = time.perf_counter()
            workspace = await seed_workspace(admin_api)
            token = workspace.admin.token
            async with sql(cl.database_url) as conn:
                workspace_pk = await conn.fetchval(
                    "SELECT workspace_id FROM app_user WHERE id = $1", pk(workspace.admin.id, "User")
                )
            contact_ids = await seed_contacts(cl.database_url, workspace_pk, sum(n for _, n, _ in plan))
            queues = {
                strategy: await create_queue(
                    admin_api,
                    workspace,
                    name=f"Roleta {strategy}",
                    strategy=strategy,
                    weights=WEIGHTS if strategy == "WEIGHTED" else None,
                )
                for strategy, _, _ in plan
            }
            results["seed_seconds"] = round(time.perf_counter() - seeding, 1)
            # Each strategy gets the time left in proportion to what is left
            # to do, so one that finishes early leaves its time to the next.
            deadline = time.perf_counter() + DISTRIBUTION_BUDGET_SECONDS
            remaining = sum(n for _, n, _ in plan)
            agent_pks = [pk(a.id, "User") for a in workspace.agents]
            load: Counter = Counter()
            offset = 0
            runs: dict[str, Any] = {}
            async with sql(cl.database_url) as conn:
                for strategy, n, cycle in plan:
                    share = contact_ids[offset : offset + n]
                    offset += n
                    budget = (deadline - time.perf_counter()) * n / remaining
                    remaining -= n
                    measured = await distribute_all(cl, token, queues[strategy], share, budget)
                    given = measured.pop("given")
                    done = measured.pop("done")
                    if measured["errors"]:
                        failures.append(
                            f"{strategy}: {measured['errors']} failed calls {measured['first_errors']}"
                        )
                    checked, failed = await check(
                        conn,
                        admin_api,
                        token,
                        strategy,
                        queues[strategy],
                        done,
                        given,
                        agent_pks,
                        load,
                        complete=len(done) == n,
                    )
                    failures += failed
                    runs[strategy] = {"cycle": cycle, **measured, **checked}
                    print(f"{strategy}: {runs[strategy]}", file=sys.stderr, flush=True)
                    load.update(pk(u, "User") for u in given.values())
                # Nobody holds a lead twice, across every queue.
                doubly_open = await conn.fetchval(
                    "SELECT count(*) FROM (SELECT contact_id FROM assignment WHERE status = 'ASSIGNED'"
                    " AND released_at IS NULL GROUP BY contact_id HAVING count(*) > 1) AS d"
                )
                wrong_owner = await conn.fetchval(
                    "SELECT count(*) FROM assignment a JOIN contact c ON c.id = a.contact_id"
                    " WHERE a.released_at IS NULL AND c.owner_id IS DISTINCT FROM a.user_id"
                )
                open_loads = dict(
                    await conn.fetch(
                        "SELECT user_id, count(*) FROM assignment WHERE status = 'ASSIGNED'"
                        " AND released_at IS NULL GROUP BY user_id"
                    )
                )
                open_leads_ms = await open_leads_query_ms(conn, agent_pks)
            loads = [open_loads.get(a, 0) for a in agent_pks]
            results["runs"] = runs
            total_seconds = sum(r["seconds"] for r in runs.values())
            results["total"] = {
                "distributions": sum(r["distributions"] for r in runs.values()),
                "seconds": round(total_seconds, 2),
                "assignments_per_s": round(sum(r["distributions"] for r in runs.values()) / total_seconds, 1),
                "contacts_with_two_open_assignments": doubly_open,
                "open_assignments_not_matching_owner": wrong_owner,
                "open_leads_per_agent_min_max": [min(loads), max(loads)],
                "open_leads_count_query_ms_at_end": open_leads_ms,
            }
            if doubly_open or wrong_owner:
                failures.append(
                    f"{doubly_open} contacts with two open assignments, {wrong_owner} wrong owners"
                )
            incomplete = any("time budget" in f for f in failures)
            if not incomplete and max(loads) - min(loads) > (0 if sum(loads) % len(loads) == 0 else 1):
                failures.append(f"open leads per agent not level after LEAST_LOADED: {loads}")
            results["load_after"] = load_average()
        finally:
            await admin_api.aclose()
    return report("distribution", results, failures, json_path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--scale", type=float, default=1.0, help="scale every N (kept whole cycles)")
    args = parser.parse_args()
    sys.exit(run(lambda: main(args.json, args.scale), limit_seconds=280))
