"""Deny by default: every root field names who may call it. A test walks
the schema and fails on a root field without one of these."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info


class Public(BasePermission):
    """Anyone, authenticated or not (signUp, logIn, me)."""

    message = "Not allowed."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class Authenticated(BasePermission):
    """Any user or API key of a workspace; row visibility does the rest."""

    message = "Authentication required: send Authorization: Bearer <token>."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context["ctx"].actor is not None


class AdminOnly(BasePermission):
    """Workspace configuration: ADMIN only (FORBIDDEN otherwise)."""

    message = "Only workspace administrators may do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        actor = info.context["ctx"].actor
        if actor is None:
            self.message = Authenticated.message
            self.error_extensions = Authenticated.error_extensions
            return False
        return actor.is_admin


PUBLIC = [Public]
AUTHENTICATED = [Authenticated]
ADMIN = [AdminOnly]
