"""`conversations(first: 50)` measured against the contacts list.

For each backend (a fresh SQLite file; a fresh PostgreSQL database
`revgraph_bench_inbox_list`, dropped at the end): seed bench/seed.py's
workspace (20 agents, 1,000 companies, 10,000 contacts) and, on it,
bench/seed_inbox.py's inbox data (3 inboxes, an SLA policy with business
hours, one conversation per contact with 1–8 messages), then

1. count the SQL statements of one whole request (bearer lookup included)
   for first = 10, 50 and 100, in-process through the ASGI app with the
   statement counter of contacts_list.py (= tests/conftest.py's): it must
   not grow with the page;
2. start `revgraph serve` pinned to one core and, from the other, hold C
   requests in flight for S seconds, alternating the conversations query
   below and contacts_list.py's contacts query, R rounds each: server CPU
   per request (and latency, req/s), and the ratio conversations ÷ contacts.

    python bench/inbox_list.py [--backend sqlite postgres] [--connections 10]
                               [--seconds 8] [--rounds 2] [--show-sql]
"""

from __future__ import annotations

import argparse
import os
import statistics
from typing import Any

import httpx
from contacts_list import LOG_IN_DOC, LOG_IN_VARS, measure, statements_per_page
from contacts_list import graphql_body as contacts_body
from harness import (
    database,
    each_backend_in_a_child,
    free_port,
    machine,
    revgraph_serve,
    server_env,
    today,
)
from load import Request

CONVERSATIONS = """
query Conversations($first: Int!) {
  conversations(first: $first) {
    edges {
      node {
        id number status lastMessageAt waitingSince canReply
        contact { name } assignee { name } inbox { name } sla { state }
      }
    }
    totalCount
  }
}
"""
DATABASE = "revgraph_bench_inbox_list"
STATISTICS_TABLES = (
    "app_user",
    "company",
    "contact",
    "contact_tag",
    "inbox",
    "sla_policy",
    "conversation",
    "message",
)


def conversations_body(first: int = 50) -> dict[str, Any]:
    return {"query": CONVERSATIONS, "variables": {"first": first}}


def check_conversations(body: dict[str, Any], first: int = 50) -> None:
    """A full, clean page: names read, SLA computed where the inbox has a policy."""
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    page = body["data"]["conversations"]
    nodes = [edge["node"] for edge in page["edges"]]
    if len(nodes) != first or page["totalCount"] < first:
        raise RuntimeError(f"expected {first} conversations, got {len(nodes)} of {page['totalCount']}")
    if not all(n["contact"]["name"] and n["inbox"]["name"] for n in nodes) or not any(
        n["sla"] for n in nodes
    ):
        raise RuntimeError("conversations without contact or inbox names, or no SLA at all")


async def seed_and_count(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed the database, then count statements per request in-process."""
    from seed import seed, update_statistics
    from seed_inbox import seed_inbox

    from revgraph.models.crm import Contact
    from revgraph.models.identity import User
    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app

    os.environ.update(server_env(database_url))
    settings = Settings.from_env()
    await open_database(settings, migrate=True)
    try:
        seeded = await seed(settings, analyze=False)
        agents = await User.filter(workspace_id=seeded.workspace_id, role="AGENT").values_list(
            "id", flat=True
        )
        contacts = (
            await Contact.filter(workspace_id=seeded.workspace_id).order_by("id").values_list("id", flat=True)
        )
        inbox = await seed_inbox(seeded.workspace_id, list(agents), list(contacts))
        await update_statistics(settings, STATISTICS_TABLES)
        print(
            f"  seeded {seeded.contacts} contacts in {seeded.seconds:.1f} s, then {inbox.conversations} "
            f"conversations with {inbox.messages} messages in {inbox.inboxes} inboxes in {inbox.seconds:.1f} s"
        )
        app = create_app(settings, migrate=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as http:
            login = await http.post("/graphql", json={"query": LOG_IN_DOC, "variables": LOG_IN_VARS})
            token = login.json()["data"]["logIn"]["token"]
            headers = {"authorization": f"Bearer {token}"}
            statements = await statements_per_page(
                http, headers, conversations_body, check_conversations, args.show_sql
            )
        return {
            "seed_seconds": round(seeded.seconds + inbox.seconds, 2),
            "conversations": inbox.conversations,
            "messages": inbox.messages,
            "statements": statements,
            "token": token,
        }
    finally:
        await close_database()


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {backend}")
    async with database(backend, name=DATABASE) as url:
        result = await seed_and_count(url, args)
        token = result.pop("token")
        print(f"  SQL statements per conversations request (first=10/50/100): {result['statements']}")
        lists = {
            "conversations": (Request("/graphql", "POST", conversations_body(), token), check_conversations),
            "contacts": (Request("/graphql", "POST", contacts_body(), token), None),
        }
        runs: dict[str, list[dict]] = {name: [] for name in lists}
        for _ in range(args.rounds):
            # Alternating, so drift in the machine's load hits both alike.
            for name, (request, check) in lists.items():
                port = free_port()
                request = Request(request.url, request.method, request.body, request.token)
                run = await measure(
                    revgraph_serve(port, "asyncio"), server_env(url), port, request, args, check
                )
                runs[name].append(run)
                print(f"  {name:13} {run['line']}")
        for name, measured in runs.items():
            result[name] = {
                "median": {
                    key: round(statistics.median(r[key] for r in measured), 2)
                    for key in ("rps", "p50_ms", "p99_ms", "max_ms", "server_cpu_ms_per_request")
                },
                "runs": measured,
            }
        cpu = {name: result[name]["median"]["server_cpu_ms_per_request"] for name in lists}
        result["cpu_ratio_conversations_over_contacts"] = round(cpu["conversations"] / cpu["contacts"], 2)
        print(
            f"  server CPU per request, median of {args.rounds}: conversations {cpu['conversations']:.1f} ms, "
            f"contacts {cpu['contacts']:.1f} ms: {result['cpu_ratio_conversations_over_contacts']:.2f}x"
        )
        return result


def main(args: argparse.Namespace) -> None:
    if not args.child_json:
        print(f"conversations(first: 50) vs contacts(first: 50) — {today()}, {machine()}")
        print(f"  {args.connections} connections, {args.seconds} s per run, {args.rounds} rounds")
    forward = ["--connections", str(args.connections), "--seconds", str(args.seconds)]
    forward += ["--rounds", str(args.rounds)] + (["--show-sql"] if args.show_sql else [])
    each_backend_in_a_child(
        args,
        run_backend,
        forward,
        results_name=f"inbox_list-{today()}",
        recorded={"connections": args.connections, "seconds": args.seconds, "rounds": args.rounds},
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="conversations(first: 50) benchmark")
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="runs per list, alternating")
    parser.add_argument(
        "--show-sql", action="store_true", help="print the statements of one first=50 request"
    )
    parser.add_argument("--child-json", help=argparse.SUPPRESS)
    main(parser.parse_args())
