"""Defining campos adicionais (ADMIN): create, change, archive, restore;
every member reads them (agents fill them in). Each change is an event on
the log (`custom_field.created` / `.updated` / `.archived` / `.restored`).

What stays true of stored values: the key never changes; the type changes
only while no record holds a value under the key; an option stays while a
record chooses it. Archiving keeps every stored value (readable and
filterable) and stops new ones; it is refused while a live stage requires
the field, or an automation rule or a form writes it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.resolvers.context import Context
from revgraph.resolvers.custom_fields.types import KEY, OPTION_KEY, SELECT_TYPES, TYPES
from revgraph.resolvers.custom_fields.usage import records_choosing, records_holding, settings_using
from revgraph.resolvers.custom_fields.values import ENTITY_TITLES, ENTITY_WORDS, RECORD_WORDS
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import named_record

ENTITIES = tuple(ENTITY_WORDS)
MAX_OPTIONS = 100
MAX_POSITION = 10_000


def records(count: int, entity: str) -> str:
    """ "1 contact", "3 contacts"."""
    return _(
        "{count} {records}", count=count, records=RECORD_WORDS[entity] if count == 1 else ENTITY_WORDS[entity]
    )


def snapshot(definition: CustomFieldDefinition) -> dict[str, Any]:
    """The definition as the API names its fields, for the log."""
    return {
        "entity": definition.entity,
        "key": definition.key,
        "label": definition.label,
        "type": definition.type,
        "options": list(definition.options or []),
        "required": definition.required,
        "position": definition.position,
    }


async def list_definitions(
    ctx: Context, entity: str | None = None, *, include_archived: bool = False
) -> list[CustomFieldDefinition]:
    """The workspace's fields (of one entity or all), in display order:
    entity, position, then creation. Every member may read them."""
    actor = ctx.require_actor()
    rows = CustomFieldDefinition.filter(workspace_id=actor.workspace_id)
    if entity is not None:
        rows = rows.filter(entity=entity)
    if not include_archived:
        rows = rows.filter(archived_at=None)
    found = await rows.order_by("position", "id")
    return sorted(found, key=lambda d: ENTITIES.index(d.entity) if d.entity in ENTITIES else len(ENTITIES))


async def get_definition(ctx: Context, pk: int) -> CustomFieldDefinition | None:
    """A field by id for `node`, archived too."""
    actor = ctx.require_actor()
    return await CustomFieldDefinition.filter(id=pk, workspace_id=actor.workspace_id).first()


def _entity(value: Any) -> str:
    if value not in ENTITIES:
        raise DomainError(
            "INVALID", _("entity is one of {items}.", items=", ".join(ENTITIES)), ["input", "entity"]
        )
    return str(value)


def _type(value: Any) -> str:
    if value not in TYPES:
        raise DomainError("INVALID", _("type is one of {items}.", items=", ".join(TYPES)), ["input", "type"])
    return str(value)


def _key(value: Any) -> str:
    if not isinstance(value, str) or not KEY.fullmatch(value):
        raise DomainError(
            "INVALID",
            _(
                "A key is 1-64 lower-case letters, digits and _, starting with a letter (e.g. renda_mensal); it never changes."
            ),
            ["input", "key"],
        )
    return value


def _position(value: Any) -> int:
    if not isinstance(value, int) or not 0 <= value <= MAX_POSITION:
        raise DomainError(
            "INVALID",
            _("position is between 0 and {MAX_POSITION}.", MAX_POSITION=MAX_POSITION),
            ["input", "position"],
        )
    return value


def _options(value: Any, type_name: str) -> list[dict[str, str]]:
    """SELECT / MULTI_SELECT need 1 to MAX_OPTIONS options with distinct
    keys; other types take none."""
    field = ["input", "options"]
    if type_name not in SELECT_TYPES:
        if value:
            raise DomainError("INVALID", _("Only SELECT and MULTI_SELECT fields have options."), field)
        return []
    if not value:
        raise DomainError(
            "INVALID", _("A {type_name} field needs at least one option.", type_name=type_name), field
        )
    if len(value) > MAX_OPTIONS:
        raise DomainError(
            "INVALID", _("A field has at most {MAX_OPTIONS} options.", MAX_OPTIONS=MAX_OPTIONS), field
        )
    options: list[dict[str, str]] = []
    for index, option in enumerate(value):
        here = [*field, str(index)]
        key = option.get("key")
        if not isinstance(key, str) or not OPTION_KEY.fullmatch(key):
            raise DomainError(
                "INVALID",
                _("An option key is 1-64 lower-case letters, digits and _ (e.g. dois_quartos)."),
                [*here, "key"],
            )
        if any(o["key"] == key for o in options):
            raise DomainError("DUPLICATE", _("The option {key!r} is listed twice.", key=key), [*here, "key"])
        label = required_text(option.get("label"), [*here, "label"], what=_("An option label"))
        options.append({"key": key, "label": label})
    return options


async def create_definition(ctx: Context, values: dict[str, Any]) -> CustomFieldDefinition:
    """ADMIN adds a field to contacts, companies or deals. Its key is unique
    per entity (archived fields keep theirs: restore one instead)."""
    actor = ctx.require_admin()
    entity = _entity(values.get("entity"))
    key = _key(values.get("key"))
    label = required_text(values.get("label"), ["input", "label"], what=_("Label"))
    type_name = _type(values.get("type"))
    options = _options(values.get("options"), type_name)
    taken = await CustomFieldDefinition.filter(
        workspace_id=actor.workspace_id, entity=entity, key=key
    ).first()
    if taken is not None:
        hint = N_(" (archived: restore it with restoreCustomFieldDefinition)") if taken.archived_at else ""
        raise DomainError(
            "DUPLICATE",
            _(
                "{title} already have a field {key!r}{hint}.",
                title=ENTITY_TITLES[entity],
                key=key,
                hint=hint,
            ),
            ["input", "key"],
        )
    live = CustomFieldDefinition.filter(workspace_id=actor.workspace_id, entity=entity, archived_at=None)
    count = await live.count()
    limit = ctx.settings.limits.max_custom_fields
    if count >= limit:
        raise DomainError(
            "LIMIT_EXCEEDED",
            _("{title} have at most {limit} live fields.", title=ENTITY_TITLES[entity], limit=limit),
            ["input", "entity"],
        )
    position = count if values.get("position") is None else _position(values["position"])
    definition = CustomFieldDefinition(
        workspace_id=actor.workspace_id,
        entity=entity,
        key=key,
        label=label,
        type=type_name,
        options=options,
        required=bool(values.get("required") or False),
        position=position,
    )
    try:
        async with unit_of_work():
            await definition.save()
            await record_event(
                actor,
                actor.workspace_id,
                "custom_field.created",
                N_(
                    "{actor} added the {ENTITY_WORDS} field {label} ({key}, {type_name})",
                    actor=await actor_name(ctx),
                    ENTITY_WORDS=ENTITY_WORDS[entity],
                    label=label,
                    key=key,
                    type_name=type_name,
                ),
                data={"definitionId": definition.id, "definition": snapshot(definition)},
            )
    except IntegrityError as error:
        raise DomainError(
            "DUPLICATE",
            _("{title} already have a field {key!r}.", title=ENTITY_TITLES[entity], key=key),
            ["input", "key"],
        ) from error
    return definition


async def update_definition(ctx: Context, raw_id: str, values: dict[str, Any]) -> CustomFieldDefinition:
    """ADMIN changes a field's label, type, options, required flag or
    position (only what is sent). A type change is refused while records
    hold values under the key; removing an option, while records choose it."""
    actor = ctx.require_admin()
    definition = await named_record(ctx, CustomFieldDefinition, raw_id, ["id"], live=False)
    before = snapshot(definition)
    if "label" in values:
        definition.label = required_text(values["label"], ["input", "label"], what=_("Label"))
    if values.get("required") is not None:
        definition.required = bool(values["required"])
    if values.get("position") is not None:
        definition.position = _position(values["position"])
    type_name = definition.type if values.get("type") is None else _type(values["type"])
    if type_name != definition.type:
        holding = await records_holding(definition)
        if holding:
            raise DomainError(
                "RULE_VIOLATION",
                _(
                    "{records}: values of {definition_key!r} as {definition_type}; changing its type would break them. Clear those values first, or add a new field.",
                    records=records(holding, definition.entity),
                    definition_key=definition.key,
                    definition_type=definition.type,
                ),
                ["input", "type"],
                rule="custom_field.values_held",
            )
    if values.get("options") is not None:
        options = _options(values["options"], type_name)
    elif type_name in SELECT_TYPES:
        options = _options(definition.options if definition.type in SELECT_TYPES else None, type_name)
    else:
        options = []
    if type_name == definition.type:
        kept = {o["key"] for o in options}
        for option in definition.options or ():
            if option["key"] in kept:
                continue
            choosing = await records_choosing(definition, option["key"])
            if choosing:
                raise DomainError(
                    "RULE_VIOLATION",
                    _(
                        "{records} chose the option {key!r}: change their value before removing it.",
                        records=records(choosing, definition.entity),
                        key=option["key"],
                    ),
                    ["input", "options"],
                    rule="custom_field.option_chosen",
                )
    definition.type = type_name
    definition.options = options
    after = snapshot(definition)
    changes = {
        name: {"from": before[name], "to": after[name]} for name in after if after[name] != before[name]
    }
    if not changes:
        return definition
    async with unit_of_work():
        await definition.save()
        await record_event(
            actor,
            actor.workspace_id,
            "custom_field.updated",
            N_(
                "{actor} changed {items} of the {ENTITY_WORDS} field {definition} ({definition_key})",
                actor=await actor_name(ctx),
                items=", ".join(changes),
                ENTITY_WORDS=ENTITY_WORDS[definition.entity],
                definition=definition.label,
                definition_key=definition.key,
            ),
            data={"definitionId": definition.id, "key": definition.key, "changes": changes},
        )
    return definition


async def set_definition_archived(ctx: Context, raw_id: str, *, archived: bool) -> CustomFieldDefinition:
    """ADMIN archives a field (its values stay, readable and filterable; no
    new ones are written; it is no longer required) or restores it.
    Repeating either changes nothing."""
    actor = ctx.require_admin()
    definition = await named_record(ctx, CustomFieldDefinition, raw_id, ["id"], live=False)
    if (definition.archived_at is not None) == archived:
        return definition
    words = ENTITY_WORDS[definition.entity]
    if archived:
        users = await settings_using(definition)
        if users:
            raise DomainError(
                "RULE_VIOLATION",
                _(
                    "Still using {definition_key!r}: {items}. Change them first.",
                    items=", ".join(users),
                    definition_key=definition.key,
                ),
                ["id"],
                rule="custom_field.in_use",
            )
    else:
        live = CustomFieldDefinition.filter(
            workspace_id=actor.workspace_id, entity=definition.entity, archived_at=None
        )
        limit = ctx.settings.limits.max_custom_fields
        if await live.count() >= limit:
            raise DomainError(
                "LIMIT_EXCEEDED",
                _(
                    "{title} have at most {limit} live fields.",
                    title=ENTITY_TITLES[definition.entity],
                    limit=limit,
                ),
                ["id"],
            )
    async with unit_of_work():
        definition.archived_at = datetime.now(UTC) if archived else None
        await definition.save(update_fields=["archived_at", "updated_at"])
        verb = "archived" if archived else "restored"
        await record_event(
            actor,
            actor.workspace_id,
            f"custom_field.{verb}",
            N_(
                "{actor} {verb} the {words} field {definition} ({definition_key})",
                actor=await actor_name(ctx),
                verb=N_("archived") if archived else N_("restored"),
                words=words,
                definition=definition.label,
                definition_key=definition.key,
            ),
            data={"definitionId": definition.id, "key": definition.key, "entity": definition.entity},
        )
    return definition
