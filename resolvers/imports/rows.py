"""A contact row of a CSV read as createContact/updateContact input, with
the project's normalisers (e-mail, E.164 phone, tags, typed custom fields
in pt-BR formats such as 1.250.000,00 and 31/12/2026), and the decision
the import takes for it: create, update a duplicate, skip it, or refuse
the row. The dry run and the import share this one decision, so the dry
run reports exactly what the import will do. Problems read in pt-BR: the
error report is for the people who fix the spreadsheet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from revgraph.models.crm import Contact
from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.models.identity import User
from revgraph.resolvers.contacts import LIFECYCLE_STAGES, contact_tags, matching_contacts
from revgraph.resolvers.custom_fields.values import apply_definitions, definitions_for
from revgraph.resolvers.errors import DomainError, Problem
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.settings import Limits
from revgraph.resolvers.validation import (
    custom_fields_object,
    normalize_email,
    normalize_phone,
    normalize_tags,
    optional_text,
    required_text,
)

POLICIES = ("SKIP", "UPDATE_EMPTY", "OVERWRITE")
CUSTOM = "customFields."
# The fields a contact column may fill, with the pt-BR label reports use.
CONTACT_FIELDS = {
    "name": N_("Name"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
    "owner": N_("Owner"),
    "lifecycleStage": N_("Lifecycle stage"),
    "source": N_("Source"),
    "tags": N_("Tags"),
}
STAGE_WORDS = {
    "lead": "LEAD",
    "mql": "MQL",
    "sql": "SQL",
    "oportunidade": "OPPORTUNITY",
    "cliente": "CUSTOMER",
    "desqualificado": "DISQUALIFIED",
}
TYPE_HINTS = {
    "NUMBER": N_("a whole number, e.g. 3"),
    "DECIMAL": N_("a decimal number, e.g. 1,250,000.00"),
    "DATE": N_("a date, e.g. 12/31/2026"),
    "BOOLEAN": N_("yes or no"),
    "TEXT": N_("text of up to 2000 characters"),
}


@dataclass
class Workbook:
    """What reading a job's rows needs, loaded once per run."""

    workspace_id: int
    limits: Limits
    definitions: list[CustomFieldDefinition]
    owners: dict[str, int]  # active users' e-mail (lower case) → id
    # column index → field, from the job's mapping
    columns: list[tuple[int, str, str]]  # (index, column header, field)


@dataclass
class Decision:
    """What the import does with one row. `action` is create, update, skip
    or error; `changes` is createContact's or updateContact's input."""

    action: str
    changes: dict[str, Any] = field(default_factory=dict)
    contact: Contact | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)


async def workbook(
    workspace_id: int, limits: Limits, header: Sequence[str], mapping: Mapping[str, str]
) -> Workbook:
    users = await User.filter(workspace_id=workspace_id, active=True).values_list("email", "id")
    index = {column: i for i, column in enumerate(header)}
    columns = [(index[column], column, target) for column, target in mapping.items() if column in index]
    return Workbook(
        workspace_id,
        limits,
        await definitions_for(workspace_id, "CONTACT"),
        {str(email).lower(): int(pk) for email, pk in users},
        columns,
    )


def mapping_problems(book: Workbook, mapping: Mapping[str, str], header: Sequence[str]) -> list[Problem]:
    """Why a column mapping cannot be used (as userErrors on `columns.<i>`)."""
    problems: list[Problem] = []
    live = {d.key for d in book.definitions if d.archived_at is None}
    used: dict[str, str] = {}
    for i, (column, target) in enumerate(mapping.items()):
        path = ["input", "columns", str(i)]
        if column not in header:
            problems.append(
                Problem("INVALID", _("The file has no column {column!r}.", column=column), [*path, "column"])
            )
        if target.startswith(CUSTOM):
            if target[len(CUSTOM) :] not in live:
                problems.append(
                    Problem(
                        "INVALID",
                        _("No live custom field {target!r} for contacts.", target=target[len(CUSTOM) :]),
                        [*path, "field"],
                    )
                )
        elif target not in CONTACT_FIELDS:
            known = ", ".join([*CONTACT_FIELDS, "customFields.<key>"])
            problems.append(
                Problem(
                    "INVALID",
                    _("Unknown field {target!r}: use {known}.", target=target, known=known),
                    [*path, "field"],
                )
            )
        if target in used:
            problems.append(
                Problem(
                    "INVALID",
                    _("{target} is already filled from column {used!r}.", target=target, used=used[target]),
                    [*path, "field"],
                )
            )
        used[target] = column
    if "name" not in used and not problems:
        problems.append(Problem("INVALID", _("Map a column to the contact's name."), ["input", "columns"]))
    return problems


def _problem(code: str, target: str, column: str | None, message: str) -> dict[str, Any]:
    return {"code": code, "field": target, "column": column, "message": message}


def read_contact(book: Workbook, cells: Sequence[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The row as createContact's input (only mapped, non-blank cells), and
    its problems."""
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    custom_columns: dict[str, str] = {}
    problems: list[dict[str, Any]] = []
    for index, column, target in book.columns:
        raw = cells[index].strip() if index < len(cells) else ""
        if target.startswith(CUSTOM):
            if raw:
                custom[target[len(CUSTOM) :]] = raw
                custom_columns[target[len(CUSTOM) :]] = column
            continue
        if not raw and target != "name":
            continue
        try:
            _read_field(book, data, target, raw)
        except DomainError as error:
            problems.append(_problem(error.problems[0].code, target, column, _message(target, raw, error)))
    if custom or book.definitions:
        try:
            data["custom_fields"] = (
                apply_definitions(
                    book.definitions,
                    "CONTACT",
                    custom_fields_object(custom, [], book.limits),
                    [],
                    creating=True,
                )
                if book.definitions
                else custom_fields_object(custom, [], book.limits)
            )
        except DomainError as error:
            by_key = {d.key: d for d in book.definitions}
            for problem in error.problems:
                key = (problem.field or ["?"])[-1]
                problems.append(
                    _problem(
                        problem.code,
                        CUSTOM + key,
                        custom_columns.get(key),
                        _custom_message(by_key.get(key), key, custom.get(key), problem),
                    )
                )
    return data, problems


def _read_field(book: Workbook, data: dict[str, Any], target: str, raw: str) -> None:
    if target == "name":
        data["name"] = required_text(raw, ["name"])
    elif target == "email":
        data["email"] = normalize_email(raw, ["email"])
    elif target == "phone":
        data["phone"] = normalize_phone(raw, ["phone"])
    elif target == "owner":
        owner = book.owners.get(raw.lower())
        if owner is None:
            raise DomainError("NOT_FOUND", _("Unknown owner."), ["owner"])
        data["owner_id"] = encode_id("User", owner)
    elif target == "lifecycleStage":
        stage = STAGE_WORDS.get(raw.lower(), raw.upper())
        if stage not in LIFECYCLE_STAGES:
            raise DomainError("INVALID", _("Unknown stage."), ["lifecycleStage"])
        data["lifecycle_stage"] = stage
    elif target == "source":
        data["source"] = optional_text(raw, ["source"], max_length=64, what=_("Source"))
    elif target == "tags":
        parts = [part for part in raw.replace("|", ",").split(",") if part.strip()]
        data["tags"] = normalize_tags(parts, ["tags"], book.limits)


def _message(target: str, raw: str, error: DomainError) -> str:
    label = CONTACT_FIELDS[target]
    if target == "name":
        if not raw:
            return _("Blank name.")
        return _("Invalid name (up to 200 characters, one line): {raw!r}.", raw=raw)
    if target == "email":
        return _("Invalid e-mail: {raw!r}.", raw=raw)
    if target == "phone":
        return _("Invalid phone: {raw!r} (include the area code, e.g. 11 98765-4321).", raw=raw)
    if target == "owner":
        return _("Unknown owner: {raw!r} (use the e-mail of an active user of the workspace).", raw=raw)
    if target == "lifecycleStage":
        return _(
            "Unknown stage: {raw!r} (use Lead, MQL, SQL, Oportunidade, Cliente or Desqualificado).", raw=raw
        )
    return _("Invalid {label}: {raw!r}.", label=label, raw=raw)


def _custom_message(definition: CustomFieldDefinition | None, key: str, raw: Any, problem: Problem) -> str:
    if definition is None:
        return _("The custom field {key!r} does not exist.", key=key)
    if problem.code == "REQUIRED_FIELD_MISSING":
        return _("{label} is required and is blank.", label=definition.label)
    if definition.type in ("SELECT", "MULTI_SELECT"):
        labels = ", ".join(str(o["label"]) for o in definition.options or ())
        return _(
            "{label}: {raw!r} is not an option (use: {labels}).",
            label=definition.label,
            raw=raw,
            labels=labels,
        )
    hint = TYPE_HINTS.get(definition.type, N_("a valid value"))
    return _("{label}: {raw!r} is not valid (expected {hint}).", label=definition.label, raw=raw, hint=hint)


def duplicate_keys(data: Mapping[str, Any]) -> list[str]:
    """The keys two rows of one file are the same person by."""
    return [f"{k}:{data[k]}" for k in ("email", "phone") if data.get(k)]


async def decide(book: Workbook, cells: Sequence[str], policy: str) -> Decision:
    """What the import does with the row: `error` with its problems; else
    the first live contact it duplicates (by e-mail, then phone — the rule of
    captureLead) is skipped or updated per `policy`, or a contact is created."""
    data, problems = read_contact(book, cells)
    if problems:
        return Decision("error", problems=problems)
    found = await matching_contacts(book.workspace_id, data.get("email"), data.get("phone"))
    if not found:
        return Decision("create", changes=data)
    contact = found[0]
    if policy == "SKIP":
        return Decision("skip", contact=contact)
    changes = await _changes(contact, data, overwrite=policy == "OVERWRITE")
    clash = [
        other
        for other in found[1:]
        if any(changes.get(k) and changes[k] == getattr(other, k) for k in ("email", "phone"))
    ]
    if clash:
        which = "email" if changes.get("email") and clash[0].email == changes["email"] else "phone"
        return Decision(
            "error",
            problems=[
                _problem(
                    "DUPLICATE",
                    which,
                    None,
                    _(
                        "{field} belongs to another contact (no. {number}) than this e-mail's.",
                        field=CONTACT_FIELDS[which],
                        number=clash[0].number,
                    ),
                )
            ],
        )
    return Decision("update" if changes else "skip", changes=changes, contact=contact)


async def _changes(contact: Contact, data: Mapping[str, Any], *, overwrite: bool) -> dict[str, Any]:
    """updateContact's input: the row's values where the contact differs
    (OVERWRITE) or holds nothing yet (UPDATE_EMPTY)."""
    current: dict[str, Any] = {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "owner_id": encode_id("User", contact.owner_id) if contact.owner_id else None,
        "lifecycle_stage": contact.lifecycle_stage,
        "source": contact.source,
    }
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("custom_fields", "tags"):
            continue
        if current[key] != value and (overwrite or not current[key]):
            changes[key] = value
    if "lifecycle_stage" in changes and not overwrite:
        del changes["lifecycle_stage"]  # always set (LEAD): never "empty"
    if data.get("tags"):
        tags = await contact_tags(contact.id)
        wanted = data["tags"] if overwrite else (tags or data["tags"])
        if wanted != tags:
            changes["tags"] = wanted
    stored = dict(contact.custom_fields or {})
    new = data.get("custom_fields") or {}
    merged = {**stored, **new} if overwrite else {**new, **stored}
    if merged != stored:
        changes["custom_fields"] = merged
    return changes
