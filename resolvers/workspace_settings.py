"""The workspace's own settings (ADMIN): its name, time zone, currency,
lead lock and trash retention in days, the sender of automation e-mails and
the default language of what people read."""

from __future__ import annotations

import re
from email.utils import formataddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tortoise import connections

from revgraph.models.identity import Workspace
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import LOCALES, N_, _
from revgraph.resolvers.stage_entries import redate_workspace
from revgraph.resolvers.validation import normalize_email, optional_text, required_text

CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_DAYS = 3650


def _days(value: Any, field: list[str], *, least: int, what: str) -> int:
    if not isinstance(value, int) or not least <= value <= MAX_DAYS:
        raise DomainError(
            "INVALID",
            _(
                "{what} is a whole number of days from {least} to {MAX_DAYS}.",
                what=what,
                least=least,
                MAX_DAYS=MAX_DAYS,
            ),
            field,
        )
    return value


def _not_a_zone(name: str, field: list[str]) -> DomainError:
    return DomainError(
        "INVALID", _("{name!r} is not an IANA time zone such as America/Sao_Paulo.", name=name), field
    )


def _timezone(value: Any, field: list[str]) -> str:
    name = required_text(value, field, max_length=64, what=_("Time zone"))
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise _not_a_zone(name, field) from error
    if name not in available_timezones():
        raise _not_a_zone(name, field)
    return name


async def _known_to_the_database(name: str, field: list[str]) -> None:
    """PostgreSQL takes a move's days in the workspace's zone itself
    (resolvers/stage_entries.py `_PG_RECORD`): a zone Python knows and its
    time zone database does not would fail every move."""
    client = connections.get("default")
    if client.capabilities.dialect != "postgres":
        return
    _, rows = await client.execute_query("SELECT 1 FROM pg_timezone_names WHERE name = $1", [name])
    if not rows:
        raise _not_a_zone(name, field)


def _read(values: dict[str, Any]) -> dict[str, Any]:
    """The columns the input changes, validated (null clears the sender)."""
    read: dict[str, Any] = {}
    if values.get("name") is not None:
        read["name"] = required_text(values["name"], ["input", "name"], what=_("Workspace name"))
    if values.get("timezone") is not None:
        read["timezone"] = _timezone(values["timezone"], ["input", "timezone"])
    if values.get("currency") is not None:
        currency = str(values["currency"]).strip().upper()
        if not CURRENCY.match(currency):
            raise DomainError(
                "INVALID", _("Currency is an ISO 4217 code such as BRL."), ["input", "currency"]
            )
        read["currency"] = currency
    if values.get("lead_lock_days") is not None:
        read["lead_lock_days"] = _days(
            values["lead_lock_days"], ["input", "leadLockDays"], least=0, what=_("The lead lock")
        )
    if values.get("trash_retention_days") is not None:
        read["trash_retention_days"] = _days(
            values["trash_retention_days"],
            ["input", "trashRetentionDays"],
            least=1,
            what=_("Trash retention"),
        )
    if "email_sender_name" in values:
        read["email_sender_name"] = optional_text(
            values["email_sender_name"], ["input", "emailSenderName"], max_length=200, what=_("Sender name")
        )
    if "email_sender_address" in values:
        address = values["email_sender_address"]
        read["email_sender_address"] = (
            normalize_email(address, ["input", "emailSenderAddress"]) if address else None
        )
    if values.get("default_locale") is not None:
        if values["default_locale"] not in LOCALES:
            raise DomainError(
                "INVALID",
                _("Language is one of {items}.", items=", ".join(LOCALES)),
                ["input", "defaultLocale"],
            )
        read["default_locale"] = values["default_locale"]
    return read


async def update_workspace(ctx: Context, values: dict[str, Any]) -> Workspace:
    """ADMIN changes the workspace's settings; the fields not sent keep
    their value. Records `workspace.updated` with each change's from/to;
    no change, no event. A new currency applies to deals created from then
    on; a new lead lock or retention to the next capture or purge; a new
    time zone re-dates the funnel's rollups in the same transaction."""
    actor = ctx.require_admin()
    read = _read(values)
    if "timezone" in read:
        await _known_to_the_database(read["timezone"], ["input", "timezone"])
    async with unit_of_work():
        workspace = await Workspace.filter(id=actor.workspace_id).select_for_update().get()
        changes = {
            column: {"from": getattr(workspace, column), "to": value}
            for column, value in read.items()
            if getattr(workspace, column) != value
        }
        if not changes:
            return workspace
        for column, change in changes.items():
            setattr(workspace, column, change["to"])
        await workspace.save(update_fields=list(changes))
        if "timezone" in changes:
            # The funnel's days are the workspace's (resolvers/stage_entries.py).
            await redate_workspace(workspace.id)
        await record_event(
            actor,
            actor.workspace_id,
            "workspace.updated",
            N_("Workspace settings changed: {items}", items=", ".join(sorted(changes))),
            data={"changes": changes},
        )
    return workspace


def sender_of(workspace: Workspace, default: str) -> str:
    """The From of the workspace's automation e-mails: its sender when set,
    else the server's REVGRAPH_SMTP_FROM (with the workspace's sender name)."""
    address = workspace.email_sender_address or default
    return formataddr((workspace.email_sender_name, address)) if workspace.email_sender_name else address
