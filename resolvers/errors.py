"""Domain errors. schema/ turns them into payload userErrors (DomainError) or
top-level errors with extensions.code (AuthError)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from revgraph.resolvers.i18n import Message, _

# The named rules a refusal may carry in `UserError.rule`: stable machine
# names (English, like the codes) a client keys on, beside the code, which
# stays what it always was (RULE_VIOLATION, REQUIRED_FIELD_MISSING).
RULES = (
    "stage.required_field",
    "stage.lost_reason",
    "stage.entry_condition",
    "stage.requires_scheduled_task",
    "stage.has_deals",
    "pipeline.last_stage",
    "queue.leads_waiting",
    "user.last_admin",
    "user.not_yourself",
    "custom_field.values_held",
    "custom_field.option_chosen",
    "custom_field.in_use",
)


@dataclass
class Problem:
    """One userError: a code from the contract's ErrorCode enum, a message
    that says what to do, and the path into the input it concerns."""

    code: str
    message: str
    field: list[str] | None = None
    # The stable machine name of the rule that refused (RULES), or None.
    rule: str | None = None

    def __post_init__(self) -> None:
        if self.rule is not None and self.rule not in RULES:
            raise ValueError(f"unknown rule {self.rule!r}: name it in RULES")


class DomainError(Exception):
    """A business rule refused the operation; nothing was changed."""

    def __init__(
        self,
        code: str,
        message: str | Message,
        field: Sequence[str] | None = None,
        *,
        rule: str | None = None,
    ):
        # A lazy message (a module constant) is rendered in the caller's language.
        message = str(message)
        super().__init__(message)
        self.problems = [Problem(code, message, list(field) if field else None, rule)]

    @classmethod
    def many(cls, problems: Sequence[Problem]) -> DomainError:
        error = cls(problems[0].code, problems[0].message, problems[0].field, rule=problems[0].rule)
        error.problems = list(problems)
        return error


class NotFound(DomainError):
    def __init__(self, what: str, field: Sequence[str] | None = None):
        super().__init__("NOT_FOUND", _("{what} not found.", what=what), field)


class AuthError(Exception):
    """UNAUTHENTICATED (no/invalid/expired credentials) or FORBIDDEN (the role
    may not run this operation at all): top-level errors, not userErrors."""

    def __init__(self, code: str, message: str | Message):
        super().__init__(str(message))
        self.code = code


class LimitExceeded(Exception):
    """A demand-control limit (page size, cost, rate): a top-level error."""

    def __init__(self, message: str | Message, code: str = "LIMIT_EXCEEDED"):
        super().__init__(str(message))
        self.code = code
