"""The peer: PostGraphile 4 (Node), serving the same PostgreSQL database.

Installed on first use with npm into bench/results/postgraphile (ignored by
git, like every result), started against the bench database with
NODE_ENV=production and pinned to the server's core, exactly like
`revgraph serve`. Its query asks for what `contacts(first: N)` answers: the
same N rows in the same order (newest first, id breaking ties) of the same
workspace, without deleted ones, with name, e-mail, phone, stage, source,
tags, company (global id, name), owner (global id, name), global ids,
cursors, hasNextPage/endCursor and the total count. PostGraphile builds the
whole answer as JSON inside PostgreSQL in one statement, and has no
authentication here (the issue measured a signed-token variant at +0.8 ms)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from harness import RESULTS

PEER_DIR = RESULTS / "postgraphile"
PEER_PACKAGE = "postgraphile@4"

PEER_CONTACTS = """
query Contacts($first: Int!, $workspace: Int!) {
  allContacts(
    first: $first
    orderBy: [CREATED_AT_DESC, ID_DESC]
    condition: { workspaceId: $workspace, deletedAt: null }
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id name email phone lifecycleStage source
        contactTagsByContactId(orderBy: ID_ASC) { nodes { name } }
        companyByCompanyId { id name }
        appUserByOwnerId { id name }
      }
    }
  }
}
"""


def peer_binary() -> Path:
    """node_modules/.bin/postgraphile, installed with npm when missing."""
    binary = PEER_DIR / "node_modules" / ".bin" / "postgraphile"
    if binary.exists():
        return binary
    if not shutil.which("npm"):
        raise RuntimeError("npm is not installed: the PostGraphile peer needs Node.js and npm")
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    print(f"  installing {PEER_PACKAGE} into {PEER_DIR} (once)", flush=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
            str(PEER_DIR),
            PEER_PACKAGE,
        ],
        check=True,
    )
    return binary


def peer_argv(database_url: str, port: int) -> list[str]:
    return [
        str(peer_binary()),
        "--connection",
        database_url.replace("postgres://", "postgresql://", 1),
        "--schema",
        "public",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--disable-query-log",
        "--disable-graphiql",
        # A table of ours has a `node_id` column: the global id is `id`
        # (and primary keys `rowId`) to keep PostGraphile's names apart.
        "--classic-ids",
    ]


def peer_env() -> dict[str, str]:
    return {**os.environ, "NODE_ENV": "production"}


def peer_body(first: int, workspace_id: int) -> dict[str, Any]:
    return {"query": PEER_CONTACTS, "variables": {"first": first, "workspace": workspace_id}}


def check_peer_page(body: dict[str, Any], first: int, total: int) -> None:
    """Same rows as RevGraph's page: N contacts with tags, the same total."""
    if body.get("errors"):
        raise RuntimeError(f"PostGraphile errors: {body['errors']}")
    page = body["data"]["allContacts"]
    edges = page["edges"]
    if len(edges) != first or page["totalCount"] != total:
        raise RuntimeError(
            f"PostGraphile: {len(edges)} edges, total {page['totalCount']} (want {first}, {total})"
        )
    if not all(e["node"]["contactTagsByContactId"]["nodes"] for e in edges):
        raise RuntimeError("PostGraphile: a contact without its tags")
