"""What an API key may do at all, whatever its role: its scope.

- FULL: everything its role allows (the default; sessions act in full).
- READ_ONLY: queries and subscriptions; no mutation, no intake.
- INTAKE: only sending data in: the mutations in INTAKE_MUTATIONS and the
  lead intake endpoint (POST /api/leads); it reads nothing.

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
# What an INTAKE key may call: data coming in from a partner.
INTAKE_MUTATIONS = frozenset({"captureLead", "updateDealFromPartner"})
INTROSPECTION = frozenset({"__schema", "__type", "__typename"})
# What an HTTP path does: "read" (exports) or "intake" (lead intake).
HTTP_ALLOWED = {"read": {FULL, READ_ONLY}, "intake": {FULL, INTAKE}}


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


def http_refusal(actor: Actor, what: str) -> str | None:
    """Why an HTTP path doing `what` ("read": an export; "intake": the lead
    intake) refuses the actor's key (answer 403 FORBIDDEN); None: allowed."""
    if actor.scope in HTTP_ALLOWED[what]:
        return None
    if what == "read":
        return _("This API key (scope {scope}) may not read data.", scope=actor.scope)
    return _("This API key (scope {scope}) may not send leads.", scope=actor.scope)


def check_scope(raw: str | None, field: list[str]) -> str:
    """A scope asked for at createApiKey (default FULL)."""
    scope = raw or FULL
    if scope not in SCOPES:
        raise DomainError(
            "INVALID", _("Unknown scope {scope!r}: use {items}.", scope=scope, items=", ".join(SCOPES)), field
        )
    return scope
