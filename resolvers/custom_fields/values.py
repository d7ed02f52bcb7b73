"""Writes of `customFields` (contacts, companies, deals; create, update,
lead capture, automations) checked against the entity's definitions.

An entity without definitions keeps free JSON. Once it has one (archived
ones count: the workspace chose typed fields), each key written must be a
live definition and its value must read as the field's type; it is stored
normalised. A key whose value is what the record already holds passes
unchanged, so data from before the definitions (or of an archived field)
never blocks an unrelated edit. On create, a live field marked required
must be filled (REQUIRED_FIELD_MISSING). Every bad field is its own
userError on ["input", "customFields", "<key>"]."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.resolvers.custom_fields.types import BadValue, normalise, shape_of
from revgraph.resolvers.errors import DomainError, Problem
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.settings import Limits
from revgraph.resolvers.validation import custom_fields_object

RECORD_WORDS = {"CONTACT": N_("contact"), "COMPANY": N_("company"), "DEAL": N_("deal")}
ENTITY_WORDS = {"CONTACT": N_("contacts"), "COMPANY": N_("companies"), "DEAL": N_("deals")}
# Capitalised, where a message starts with them.
ENTITY_TITLES = {"CONTACT": N_("Contacts"), "COMPANY": N_("Companies"), "DEAL": N_("Deals")}


async def definitions_for(workspace_id: int, *entities: str) -> list[CustomFieldDefinition]:
    """The entities' definitions, archived ones included, in display order."""
    rows = CustomFieldDefinition.filter(workspace_id=workspace_id, entity__in=list(entities))
    return list(await rows.order_by("position", "id"))


async def custom_fields_input(
    workspace_id: int,
    entity: str,
    value: Any,
    field: list[str],
    limits: Limits,
    *,
    stored: Mapping[str, Any] | None = None,
    creating: bool = False,
    definitions: Sequence[CustomFieldDefinition] | None = None,
) -> dict[str, Any]:
    """A `customFields` input as the record will store it: within the input
    limits, and checked and normalised against the definitions (see the
    module). `stored` is what the record holds now (None when creating);
    `definitions` the entity's, when the caller read them already (a batch)."""
    fields = custom_fields_object(value, field, limits)
    if definitions is None:
        definitions = await definitions_for(workspace_id, entity)
    if not definitions:
        return fields
    return apply_definitions(definitions, entity, fields, field, stored=stored, creating=creating)


def apply_definitions(
    definitions: Sequence[CustomFieldDefinition],
    entity: str,
    fields: Mapping[str, Any],
    field: list[str],
    *,
    stored: Mapping[str, Any] | None = None,
    creating: bool = False,
) -> dict[str, Any]:
    """The normalised fields, or a DomainError with one problem per bad key."""
    by_key = {d.key: d for d in definitions}
    stored = stored or {}
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in fields.items():
        if key in stored and stored[key] == value and type(stored[key]) is type(value):
            out[key] = stored[key]
            continue
        try:
            normalised = _value(by_key, definitions, key, value)
        except BadValue as bad:
            problems.append(Problem("INVALID", str(bad), [*field, key]))
            continue
        if normalised is not None:
            out[key] = normalised
    if creating:
        for definition in definitions:
            if definition.required and definition.archived_at is None and definition.key not in out:
                problems.append(
                    Problem(
                        "REQUIRED_FIELD_MISSING",
                        _(
                            "{definition} ({definition_key}) is required to create a {RECORD_WORDS}.",
                            definition=definition.label,
                            definition_key=definition.key,
                            RECORD_WORDS=RECORD_WORDS[entity],
                        ),
                        [*field, definition.key],
                    )
                )
    if problems:
        raise DomainError.many(problems)
    return out


def _value(
    by_key: Mapping[str, CustomFieldDefinition],
    definitions: Sequence[CustomFieldDefinition],
    key: str,
    value: Any,
) -> Any:
    definition = by_key.get(key)
    if definition is None:
        live = ", ".join(d.key for d in definitions if d.archived_at is None) or "none yet"
        raise BadValue(
            _(
                "No custom field {key!r} is defined here (defined: {live}); an admin adds fields with createCustomFieldDefinition.",
                key=key,
                live=live,
            )
        )
    if definition.archived_at is not None:
        raise BadValue(_("The custom field {key!r} is archived: its values can no longer be set.", key=key))
    try:
        return normalise(shape_of(definition), value)
    except BadValue as bad:
        raise BadValue(
            _("{definition} ({key}): {bad}", definition=definition.label, key=key, bad=bad)
        ) from bad


async def check_settable(
    workspace_id: int, entity: str, key: str, value: Any, key_field: list[str], value_field: list[str]
) -> None:
    """An automation's `setField` on customFields.<key>: refused when it
    could never be written (an undefined or archived key of a typed entity,
    a value the field cannot hold). Checked again when the action runs."""
    definitions = await definitions_for(workspace_id, entity)
    if not definitions:
        return
    by_key = {d.key: d for d in definitions}
    try:
        _value(by_key, definitions, key, None)
    except BadValue as bad:
        raise DomainError("INVALID", str(bad), key_field) from bad
    try:
        _value(by_key, definitions, key, value)
    except BadValue as bad:
        raise DomainError("INVALID", str(bad), value_field) from bad
