"""An action that cannot apply to a run's subject."""

from __future__ import annotations

from revgraph.resolvers.errors import DomainError


class NotApplicable(DomainError):
    """The action cannot apply to this run's subject (a contact without an
    e-mail address, an event without a deal...): retrying cannot help, so
    the run is SKIPPED with this reason (pt-BR, shown in the run history)
    instead of failing after every retry."""

    def __init__(self, reason: str) -> None:
        super().__init__("RULE_VIOLATION", reason)
        self.reason = reason
