"""The event types are the event log's kinds: every kind the code records
is an event type or is left out on purpose (NOT_EVENT_TYPES says why), and
the kinds added to the registry carry their facts in the body."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

from revgraph.resolvers.webhooks.event_types import EVENT_TYPES, FACTS, NOT_EVENT_TYPES
from tests.graph.documents import ADD_NOTE, create_contact
from tests.webhooks.support import Receiver, create_endpoint, verify

SOURCE = Path(__file__).parents[2]
KIND = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_*]*$")
RECORDERS = {"record_event", "record_inbox_event", "record_events"}
RECORD_CONSENT = """
mutation Consent($input: RecordConsentInput!) {
  recordConsent(input: $input) { contact { id } userErrors { code message field } }
}
"""


def _strings(node: ast.AST, constants: dict[str, set[str]]):
    """The strings an expression may be: literals, module constants, both
    arms of a conditional, `kind` of a dict literal, f-strings as patterns."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Name):
        yield from constants.get(node.id, ())
    elif isinstance(node, ast.JoinedStr):
        yield "".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body, constants)
        yield from _strings(node.orelse, constants)


def recorded_kinds() -> dict[str, str]:
    """Kinds passed to the event recorders (as the kind argument, or as
    `kind` of a dict handed to record_events), with a file that records it.
    A kind computed in a helper out of sight of this scan is not found."""
    found: dict[str, str] = {}
    for path in sorted((SOURCE / "resolvers").rglob("*.py")) + sorted((SOURCE / "tasks").rglob("*.py")):
        tree = ast.parse(path.read_text())
        constants: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    pairs = (
                        zip(target.elts, node.value.elts, strict=True)
                        if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                        else [(target, node.value)]
                    )
                    for name, value in pairs:
                        if isinstance(name, ast.Name) and isinstance(value, ast.Constant):
                            constants.setdefault(name.id, set()).add(value.value)
        for node in ast.walk(tree):
            candidates: list[ast.AST] = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in RECORDERS:
                    candidates += node.args[2:3] + [k.value for k in node.keywords if k.arg == "kind"]
            elif isinstance(node, ast.Dict):
                candidates += [
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "kind"
                ]
            for candidate in candidates:
                for kind in _strings(candidate, constants):
                    if isinstance(kind, str) and KIND.match(kind):
                        found.setdefault(kind, str(path.relative_to(SOURCE)))
    return found


def test_every_recorded_kind_is_an_event_type_or_left_out_with_a_reason():
    found = recorded_kinds()
    # the scan sees the recorders (a check on the check)
    assert {"contact.created", "consent.granted", "consent.revoked", "assignment.released"} <= set(found)
    covered = list(EVENT_TYPES) + list(NOT_EVENT_TYPES)
    missing = {
        kind: where
        for kind, where in found.items()
        if not any(fnmatch.fnmatchcase(known, kind) for known in covered)
    }
    assert missing == {}, "record these kinds in EVENT_TYPES or in NOT_EVENT_TYPES with a reason"
    assert set(EVENT_TYPES).isdisjoint(NOT_EVENT_TYPES)
    assert all(reason.strip() for reason in NOT_EVENT_TYPES.values())
    assert set(FACTS) <= set(EVENT_TYPES)
    assert {
        "lead.reentered",
        "consent.granted",
        "consent.revoked",
        "note.added",
        "assignment.queued",
        "assignment.released",
        "conversation.sla_changed",
        "conversation.sla_warning",
        "conversation.sla_breached",
    } <= set(EVENT_TYPES)


async def test_consent_and_note_events_arrive_with_their_facts(gql, workspace):
    receiver = await Receiver().start()
    try:
        _, secret = await create_endpoint(
            gql, workspace.token, receiver.url, ["consent.granted", "consent.revoked", "note.added"]
        )
        contact = await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        for granted in (True, False):
            variables = {
                "input": {
                    "contactId": contact["id"],
                    "channel": "WHATSAPP",
                    "granted": granted,
                    "source": "telefone",
                    "note": "pediu por telefone",
                }
            }
            consent = (await gql.ok(RECORD_CONSENT, variables, token=workspace.token))["recordConsent"]
            assert consent["userErrors"] == []
        note = await gql.ok(
            ADD_NOTE, {"input": {"subjectId": contact["id"], "body": "Ligar amanhã"}}, token=workspace.token
        )
        assert note["addNote"]["userErrors"] == []
        await receiver.wait_for(3)
    finally:
        await receiver.stop()
    bodies = [verify(secret, r.headers, r.body) for r in receiver.requests]
    assert [b["type"] for b in bodies] == ["consent.granted", "consent.revoked", "note.added"]
    assert all(b["data"]["id"] == contact["id"] and b["data"]["name"] == "Ana" for b in bodies)
    assert bodies[0]["data"]["consent"] == {
        "channel": "WHATSAPP",
        "granted": True,
        "source": "telefone",
        "note": "pediu por telefone",
    }
    assert bodies[1]["data"]["consent"]["granted"] is False
    assert bodies[2]["data"]["note"] == {"body": "Ligar amanhã", "dealId": None}
