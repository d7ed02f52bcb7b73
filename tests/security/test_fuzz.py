"""Schemathesis against /graphql (RELIABILITY.md, "Fuzzing and load"): every
Query and Mutation field, with generated arguments and selection sets, sent
as a seeded workspace's admin and anonymously. Whatever the input, no
answer may be an HTTP 5xx or carry an error with `extensions.code ==
"INTERNAL"` (an unexpected exception behind the mask).

Schemathesis' own `not_a_server_error` check is not used as is: for GraphQL
it counts every error raised in a resolver as a server failure, and here
FORBIDDEN, UNAUTHENTICATED, NOT_FOUND and LIMIT_EXCEEDED are deliberate
top-level answers (STYLE.md). The HTTP half of that check (5xx) is the
same.

Bounded and repeatable for CI: a fixed number of examples per operation,
mode (positive: valid documents; negative: documents the schema refuses)
and caller, drawn with `derandomize=True` (the same choices on every run)
and no example database. `REVGRAPH_FUZZ_EXAMPLES` raises the budget for a
long local run. Every finding is collected, with the exact document, before
the test fails, so one run lists them all.

IDs: generated strings almost never name a record, so every `ID` argument is
drawn from the seeded workspace's real ids, crafted ids (out-of-range keys,
wrong types) and random strings, which gets the fuzzer past "not found"
into the use cases. The server runs with a rate-limit budget that does not
bind (the admin's budget of the hour would otherwise run out, and the
answers would be 429s that prove nothing)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import revgraph.resolvers
from revgraph.resolvers.ids import encode_id

EXAMPLES_PER_OPERATION = int(os.environ.get("REVGRAPH_FUZZ_EXAMPLES", "6"))
# Ends the caller's own session: the rest of the admin's run would be anonymous.
SESSION_ENDING = {"logOut"}
# Keys of custom fields and form field mappings, and lead fields as values.
JSON_KEYS = ["name", "email", "phone", "message", "origem", "customFields", "campaign", "media"]
# schema/extensions.py logs "unexpected error, request <id>, path [...]: <Exception>".
# RevGraph's own files, in a checkout (editable install) or site-packages.
OUR_CODE = str(Path(revgraph.resolvers.__file__).resolve().parents[1])
REQUEST_LOG = re.compile(r"request (?P<id>[0-9a-f]+), path (?P<cause>.*)")

SEED = """
mutation Seed($contact: ContactInput!, $company: CompanyInput!, $pipeline: PipelineInput!) {
  createCompany(input: $company) { company { id } userErrors { code } }
  createContact(input: $contact) { contact { id } userErrors { code } }
  createPipeline(input: $pipeline) { pipeline { id stages { id } } userErrors { code } }
}
"""
CREATE_DEAL = """
mutation($input: DealInput!) { createDeal(input: $input) { deal { id } userErrors { code message } } }
"""
CREATE_QUEUE = """
mutation($input: QueueInput!) { createQueue(input: $input) { queue { id } userErrors { code message } } }
"""
CREATE_RULE = """
mutation($input: AutomationRuleInput!) {
  createAutomationRule(input: $input) { rule { id } userErrors { code message } }
}
"""
CREATE_FORM = """
mutation($input: FormInput!) { createForm(input: $input) { form { id } userErrors { code message } } }
"""
ADD_NOTE = """
mutation($input: NoteInput!) { addNote(input: $input) { event { id } userErrors { code message } } }
"""
CREATE_TASK = """
mutation($input: TaskInput!) { createTask(input: $input) { task { id } userErrors { code message } } }
"""
EVERY_ID = """
query {
  me { id }
  users(first: 100) { edges { node { id } } }
  teams { id }
  contacts(first: 100) { edges { node { id } } }
  companies(first: 100) { edges { node { id } } }
  deals(first: 100) { edges { node { id } } }
  pipelines { id stages { id } }
  automationRules { id }
  queues { id }
  forms { id }
}
"""


@dataclass(frozen=True)
class Finding:
    caller: str
    operation: str
    status: int
    document: str
    answer: str

    def __str__(self) -> str:
        return (
            f"[{self.caller}] {self.operation}: HTTP {self.status}\n"
            f"  document: {self.document}\n  answer: {self.answer[:600]}"
        )


async def seed_ids(gql: Any, workspace: Any) -> list[str]:
    """A small workspace with one of each record, and every id the admin sees."""
    token = workspace.token
    agent = await workspace.user("AGENT")
    team = await workspace.team("Pré-vendas", manager_id=workspace.admin["id"])
    seeded = await gql.ok(
        SEED,
        {
            "contact": {"name": "Maria Souza", "email": "maria@example.com", "phone": "11987654321"},
            "company": {"name": "Construtora Horizonte"},
            "pipeline": {"name": "Pré-vendas", "stages": [{"name": "Novo"}, {"name": "Em contato"}]},
        },
        token=token,
    )
    contact_id = seeded["createContact"]["contact"]["id"]
    pipeline = seeded["createPipeline"]["pipeline"]
    await gql.ok(
        CREATE_DEAL,
        {"input": {"title": "Apto 2 quartos", "pipelineId": pipeline["id"], "contactId": contact_id}},
        token=token,
    )
    await gql.ok(
        CREATE_QUEUE,
        {
            "input": {
                "name": "Roleta",
                "mode": "OFFLINE",
                "strategy": "ROUND_ROBIN",
                "members": [{"userId": agent["id"]}],
            }
        },
        token=token,
    )
    await gql.ok(
        CREATE_RULE,
        {
            "input": {
                "name": "Ligar",
                "trigger": {"kind": "CONTACT_CREATED"},
                "actions": [{"createTask": {"title": "Ligar para {{contact.name}}"}}],
            }
        },
        token=token,
    )
    await gql.ok(CREATE_FORM, {"input": {"name": "Site"}}, token=token)
    await gql.ok(ADD_NOTE, {"input": {"subjectId": contact_id, "body": "Quer visitar"}}, token=token)
    await gql.ok(CREATE_TASK, {"input": {"contactId": contact_id, "title": "Retornar"}}, token=token)
    listed = await gql.ok(EVERY_ID, token=token)
    ids = {team["id"], agent["id"]}

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "id" and isinstance(inner, str):
                    ids.add(inner)
                else:
                    collect(inner)
        elif isinstance(value, list):
            for inner in value:
                collect(inner)

    collect(listed)
    return sorted(ids)


def crafted_ids() -> list[str]:
    """Well-formed global ids that name nothing, or name it badly."""
    keys = [0, -1, 2**31, 2**63, 10**30]
    kinds = ["Contact", "Deal", "Stage", "User", "Team", "NoSuchType"]
    return [encode_id(kind, key) for kind in kinds for key in keys] + ["", "Contact:1", "=="]


def fuzz(url: str, token: str, ids: list[str], examples: int) -> tuple[list[Finding], dict[str, int]]:
    """Run Schemathesis over every Query and Mutation field, as the admin and
    anonymously; blocking (requests), so the test runs it in a thread."""
    import graphql
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from schemathesis.generation import GenerationMode
    from schemathesis.graphql import nodes

    pool = [*ids, *crafted_ids()]
    # Scalars Schemathesis cannot generate by itself (registered for the
    # process; only this test uses Schemathesis). Decimal: numbers, and
    # strings that may not be numbers. JSON: any JSON literal, with the
    # keys RevGraph's JSON arguments look for among random ones.
    keys = st.sampled_from(JSON_KEYS) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
    json_literals = st.recursive(
        st.none().map(lambda _: graphql.NullValueNode())
        | st.booleans().map(nodes.Boolean)
        | st.integers().map(nodes.Int)
        | st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float)
        | st.text(max_size=20).map(nodes.String),
        lambda inner: (
            st.lists(inner, max_size=3).map(nodes.List)
            | st.dictionaries(keys, inner, max_size=4).map(
                lambda d: nodes.Object(
                    [graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in d.items()]
                )
            )
        ),
        max_leaves=8,
    )
    schemathesis.graphql.scalar(
        "ID", st.one_of(st.sampled_from(pool), st.text(max_size=30)).map(nodes.String)
    )
    schemathesis.graphql.scalar(
        "Decimal",
        st.one_of(
            st.decimals(allow_nan=False, allow_infinity=False).map(str),
            st.text(max_size=20),
        ).map(nodes.String),
    )
    schemathesis.graphql.scalar("JSON", json_literals)

    schema = schemathesis.graphql.from_url(url)
    findings: list[Finding] = []
    counts: dict[str, int] = {}
    http = requests.Session()

    def check(caller: str, operation: str, case: Any, response: Any) -> None:
        counts[caller] = counts.get(caller, 0) + 1
        failure = response.status_code >= 500
        if not failure:
            try:
                body = response.json()
            except ValueError:
                body = {}
            errors = body.get("errors") if isinstance(body, dict) else None
            failure = any(
                isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "INTERNAL"
                for e in errors or []
            )
        if failure:
            findings.append(Finding(caller, operation, response.status_code, case.body, response.text))

    def exercise(strategy: Any, callers: dict[str, dict[str, str]], operation: str) -> None:
        # Each drawn document goes to every caller. Drawn per caller, they
        # were the same documents anyway (derandomized: one seed per test
        # function, the same for every caller); drawn once, the drawing,
        # most of this test's CPU, is done once.
        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            for caller, headers in callers.items():
                check(caller, operation, case, case.call(session=http, headers=headers, timeout=30))

        run()

    every_caller = {"admin": {"authorization": f"Bearer {token}"}, "anonymous": {}}
    for result in schema.get_all_operations():
        operation = result.ok()
        callers = {
            caller: headers
            for caller, headers in every_caller.items()
            if not (caller == "admin" and operation.definition.field_name in SESSION_ENDING)
        }
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            exercise(operation.as_strategy(generation_mode=mode), callers, operation.label)
    return findings, counts


def where(exc_info: Any) -> str:
    """The exception's message and the innermost frame of RevGraph's code."""
    if not exc_info or exc_info[1] is None:
        return ""
    frames = [
        f
        for f in traceback.extract_tb(exc_info[2])
        if f.filename.startswith(OUR_CODE) and "site-packages" not in f.filename[len(OUR_CODE) :]
    ]
    last = f" at {frames[-1].filename[len(OUR_CODE) + 1 :]}:{frames[-1].lineno}" if frames else ""
    return f" ({str(exc_info[1])[:160]!r}{last})"


def report(findings: list[Finding], causes: dict[str, str]) -> str:
    """One entry per (caller, operation, status, cause), with its first document."""
    groups: dict[tuple[str, str, int, str], list[Finding]] = {}
    for finding in findings:
        cause = "?"
        try:
            errors = json.loads(finding.answer).get("errors") or []
            ids = [(e.get("extensions") or {}).get("requestId") for e in errors]
            cause = next((causes[i] for i in ids if i in causes), cause)
        except (ValueError, AttributeError):
            pass
        groups.setdefault((finding.caller, finding.operation, finding.status, cause), []).append(finding)
    lines = [f"{len(findings)} server errors in {len(groups)} groups:"]
    for (_, _, _, cause), group in groups.items():
        lines.append(f"{group[0]}\n  cause: {cause} ({len(group)} times)")
    return "\n".join(lines)


# Schemathesis' negative mode draws from `random`; Hypothesis seeds it per
# example, so the run stays repeatable, and only warns.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_fuzzed_documents_never_cause_a_server_error(private_server, gql, workspace, caplog):
    # given a workspace with one record of each kind, served with a budget that does not bind
    ids = await seed_ids(gql, workspace)
    server = await private_server(limits={"rate_limit_points": 10**12})
    caplog.set_level(logging.ERROR, logger="revgraph.errors")

    # when Schemathesis sends every operation, as the admin and anonymously
    findings, counts = await asyncio.to_thread(
        fuzz, server.graphql_url, workspace.token, ids, EXAMPLES_PER_OPERATION
    )

    print(f"fuzzed /graphql: {counts} requests, {len(findings)} server errors")
    # then no answer was a 5xx or an INTERNAL error
    assert counts.get("admin") and counts.get("anonymous"), counts
    causes = {}
    for record in caplog.records:
        match = REQUEST_LOG.search(record.getMessage())
        if match:
            causes[match["id"]] = match["cause"] + where(record.exc_info)
    assert not findings, report(findings, causes)
