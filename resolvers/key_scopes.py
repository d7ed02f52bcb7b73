"""What an API key may do at all, whatever its role: its scope.

- FULL: everything its role allows (the default; sessions act in full).
- READ_ONLY: queries and subscriptions; no mutation, no intake.
- INTAKE: only sending data in: the mutations in INTAKE_MUTATIONS and the
  lead intake endpoint (POST /api/leads); it reads nothing but what confirms
  its own calls (INTAKE_PAYLOADS: ids, and the state of the deal it reports
  on), and updateDealFromPartner only on deals handed off to its partner
  (resolvers/partners/partner_updates.py).

The HTTP paths beside /graphql follow the same rules (HTTP_ALLOWED):

| path                              | does     | FULL | READ_ONLY | INTAKE |
|-----------------------------------|----------|------|-----------|--------|
| GET /export/{list}.csv            | "read"   | yes  | yes       | no     |
| GET /imports/{id}/errors.csv      | "read"   | yes  | yes       | no     |
| POST /imports                     | "write"  | yes  | no        | no     |
| POST /api/leads                   | "intake" | yes  | no        | yes    |

An import's error report is rows of the file as read (data), like an
export; an upload starts an import (a write, as its mapping, dry run and
run mutations are), and is not lead intake: INTAKE_MUTATIONS has none of
the import mutations, so an INTAKE key could not finish one anyway.

Introspection (`__schema`, `__type`, `__typename`) is open to every scope:
partners integrate through it. Refusals are FORBIDDEN. The GraphQL gate is
schema/key_scope_gate.py; the HTTP paths ask `http_refusal`."""

from __future__ import annotations

from revgraph.resolvers.context import Actor
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _

FULL = "FULL"
READ_ONLY = "READ_ONLY"
INTAKE = "INTAKE"
SCOPES = (FULL, READ_ONLY, INTAKE)
# A payload's fields an INTAKE key may select: a field name maps to the
# fields allowed under it, or None (a scalar, or any of its fields: userErrors).
PayloadFields = dict[str, "PayloadFields | None"]
# What an INTAKE key may call (data coming in from a partner) and read back
# from it: ids and the deal's state it reports on, enough to confirm;
# not the records behind them (a returning lead's contact, a deal's contact,
# company, owner, timeline, custom fields...). `__typename` is always allowed.
INTAKE_PAYLOADS: dict[str, PayloadFields] = {
    "captureLead": {
        "contact": {"id": None},
        "created": None,
        "deal": {"id": None},
        "assignment": {"id": None, "status": None},
        "userErrors": None,
    },
    "updateDealFromPartner": {
        "deal": {
            "id": None,
            "number": None,
            "title": None,
            "value": None,
            "currency": None,
            "status": None,
            "lostReason": None,
            "version": None,
            "stageEnteredAt": None,
            "stage": {"id": None, "name": None, "kind": None},
        },
        "userErrors": None,
    },
}
INTAKE_MUTATIONS = frozenset(INTAKE_PAYLOADS)
INTROSPECTION = frozenset({"__schema", "__type", "__typename"})
# What an HTTP path does: "read" (exports, import error reports), "write"
# (CSV import uploads) or "intake" (lead intake).
HTTP_ALLOWED = {"read": {FULL, READ_ONLY}, "write": {FULL}, "intake": {FULL, INTAKE}}


def operation_problem(scope: str, operation: str, root_fields: set[str]) -> str | None:
    """Why a key of `scope` may not run an operation (`query`, `mutation`
    or `subscription`) selecting `root_fields`; None when it may."""
    fields = root_fields - INTROSPECTION
    if scope == FULL or not fields:
        return None
    if scope == READ_ONLY:
        if operation == "mutation":
            return _(
                "This API key is read-only (scope READ_ONLY): it may query and subscribe, not change anything."
            )
        return None
    if scope == INTAKE:
        refused = sorted(fields - INTAKE_MUTATIONS) if operation == "mutation" else sorted(fields)
        if refused:
            allowed = ", ".join(sorted(INTAKE_MUTATIONS))
            return _(
                "This API key may only send data in (scope INTAKE: {allowed}); refused: {refused}.",
                allowed=allowed,
                refused=", ".join(refused),
            )
        return None
    return _("This API key has an unknown scope {scope!r}: an admin must issue a new one.", scope=scope)


def payload_problem(refused: list[str]) -> str | None:
    """Why an INTAKE key may not read back the payload fields `refused`
    (paths such as `updateDealFromPartner.deal.contact`); None: none."""
    if not refused:
        return None
    return _(
        "This API key (scope INTAKE) reads back only ids and the state of what it sent; refused: {refused}.",
        refused=", ".join(refused),
    )


def http_refusal(actor: Actor, what: str) -> str | None:
    """Why an HTTP path doing `what` ("read": an export or an import's error
    report; "write": an import upload; "intake": the lead intake) refuses
    the actor's key (answer 403 FORBIDDEN); None: allowed."""
    if actor.scope in HTTP_ALLOWED[what]:
        return None
    if what == "read":
        return _("This API key (scope {scope}) may not read data.", scope=actor.scope)
    if what == "write":
        return _("This API key (scope {scope}) may not change data.", scope=actor.scope)
    return _("This API key (scope {scope}) may not send leads.", scope=actor.scope)


def check_scope(raw: str | None, field: list[str]) -> str:
    """A scope asked for at createApiKey (default FULL)."""
    scope = raw or FULL
    if scope not in SCOPES:
        raise DomainError(
            "INVALID", _("Unknown scope {scope!r}: use {items}.", scope=scope, items=", ".join(SCOPES)), field
        )
    return scope
