"""The committed schema.graphql is what the code prints: partners and the
contract check read the file, so it must never lag behind the code."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from tests.infra.revgraph_process import run_revgraph

# The schema is printed with no REVGRAPH_ setting: the same test in both runs of .ci/run.
pytestmark = pytest.mark.embedded_run_only

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
REGENERATE = "run `revgraph schema > schema.graphql` and commit it"


def printed_schema() -> str:
    # Default settings, as a developer's shell has them: limits named in
    # descriptions must not depend on this test run's environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVGRAPH_")}
    result = run_revgraph("schema", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_schema_graphql_is_current():
    printed = printed_schema()
    assert SCHEMA_FILE.exists(), f"schema.graphql is missing: {REGENERATE}"
    committed = SCHEMA_FILE.read_text()
    if committed != printed:
        diff = difflib.unified_diff(
            committed.splitlines(), printed.splitlines(), "schema.graphql", "revgraph schema", lineterm=""
        )
        excerpt = "\n".join(list(diff)[:60])
        raise AssertionError(f"schema.graphql is stale: {REGENERATE}\n{excerpt}")
