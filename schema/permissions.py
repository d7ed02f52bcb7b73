"""Deny by default: every root field names who may call it. A test walks
the schema and fails on a root field without one of these.

Refusals are top-level errors with a message and extensions.code:
UNAUTHENTICATED (no credentials) or FORBIDDEN (the role may not run the
field at all). Permission instances are shared by every request of a field,
so nothing here keeps per-call state."""

from __future__ import annotations

from typing import Any

from strawberry.exceptions import StrawberryGraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from revgraph.resolvers.i18n import N_

# Rendered when raised, in the caller's language (resolvers/i18n.py).
UNAUTHENTICATED_MESSAGE = N_("Authentication required: send Authorization: Bearer <token>.")
NOT_ALLOWED = N_("Not allowed.")
ADMINS_ONLY = N_("Only workspace administrators may do this.")
MANAGERS_ONLY = N_("Only managers and administrators may do this.")


def _said(message: Any) -> property:
    """A permission's `message`, read when Strawberry refuses a call."""
    return property(lambda self: str(message))


class Public(BasePermission):
    """Anyone, authenticated or not (signUp, logIn, me)."""

    message = _said(NOT_ALLOWED)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class Authenticated(BasePermission):
    """Any user or API key of a workspace; row visibility does the rest."""

    message = _said(UNAUTHENTICATED_MESSAGE)
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context["ctx"].actor is not None


class AdminOnly(BasePermission):
    """Workspace configuration: ADMIN only (FORBIDDEN otherwise)."""

    message = _said(ADMINS_ONLY)
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        actor = info.context["ctx"].actor
        if actor is None:
            # Anonymous callers learn they must log in, not that they lack a role.
            raise StrawberryGraphQLError(str(UNAUTHENTICATED_MESSAGE), extensions={"code": "UNAUTHENTICATED"})
        return actor.is_admin


class ManagerOrAdmin(BasePermission):
    """Running teams (their queues): MANAGER or ADMIN (FORBIDDEN otherwise);
    which teams a manager runs is decided by visibility."""

    message = _said(MANAGERS_ONLY)
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        actor = info.context["ctx"].actor
        if actor is None:
            raise StrawberryGraphQLError(str(UNAUTHENTICATED_MESSAGE), extensions={"code": "UNAUTHENTICATED"})
        return actor.role in ("ADMIN", "MANAGER")


PUBLIC = [Public]
AUTHENTICATED = [Authenticated]
MANAGER = [ManagerOrAdmin]
ADMIN = [AdminOnly]
# Every permission class that marks a root field as deliberately exposed.
MARKERS = (Public, Authenticated, ManagerOrAdmin, AdminOnly)
