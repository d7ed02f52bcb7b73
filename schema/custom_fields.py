"""GraphQL surface of campos adicionais: the definitions (read by every
member, changed by ADMIN) and the `customField` condition of ContactFilter,
CompanyFilter and DealFilter. One printed schema serves every workspace:
values stay in each record's `customFields` JSON, described here."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers.custom_fields import definitions
from revgraph.resolvers.ids import encode_id
from revgraph.schema.common import Node, UserError, ctx_of, input_dict, payload_mutation, query
from revgraph.schema.permissions import ADMIN, AUTHENTICATED

KEY_HELP = "1-64 lower-case letters, digits and _, starting with a letter (e.g. renda_mensal)"
VALUES_HELP = (
    "Values are written in customFields under the key: TEXT a string (at most 2000 characters); "
    'NUMBER a whole number (42 or "42"); DECIMAL a decimal, stored as a string ("1250.50"; '
    '"1250,50" is read too); DATE "2025-03-31" (also "31/03/2025"); BOOLEAN true/false; '
    "SELECT one option key; MULTI_SELECT a list of option keys (or one comma-separated string). "
    "Option labels are accepted for keys. null or blank clears the field."
)


@strawberry.enum(description="The records custom fields belong to.")
class CustomFieldEntity(Enum):
    CONTACT = "CONTACT"
    COMPANY = "COMPANY"
    DEAL = "DEAL"


@strawberry.enum(description=f"What a custom field holds. {VALUES_HELP}")
class CustomFieldType(Enum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DECIMAL = "DECIMAL"
    DATE = "DATE"
    BOOLEAN = "BOOLEAN"
    SELECT = "SELECT"
    MULTI_SELECT = "MULTI_SELECT"


@strawberry.type(description="One choice of a SELECT or MULTI_SELECT field.")
class CustomFieldOption:
    key: str = strawberry.field(description="Stored in customFields; 1-64 lower-case letters, digits and _.")
    label: str = strawberry.field(description="What people read (pt-BR).")


@strawberry.type(
    description=(
        "A campo adicional: a typed field the workspace adds to contacts, companies or deals. Once an "
        "entity has a definition, its customFields accept only defined keys, each checked and "
        'normalised by type (a userError per bad field on ["input", "customFields", "<key>"]); '
        "values stored before under other keys are kept as they are. " + VALUES_HELP
    )
)
class CustomFieldDefinition(Node):
    entity: CustomFieldEntity = strawberry.field(description="The records the field belongs to.")
    key: str = strawberry.field(description=f"The key in customFields: {KEY_HELP}. Never changes.")
    label: str = strawberry.field(description="What people read (pt-BR).")
    type: CustomFieldType = strawberry.field(
        description="What it holds. Changes only while no record holds a value under the key."
    )
    options: list[CustomFieldOption] = strawberry.field(
        description="SELECT / MULTI_SELECT choices in display order; empty for other types."
    )
    required: bool = strawberry.field(
        description="createContact / createCompany / createDeal refuse a record without it "
        "(REQUIRED_FIELD_MISSING). Lead capture never does: a lead is not lost over a field."
    )
    position: int = strawberry.field(description="Display order among the entity's fields (ascending).")
    archived_at: datetime | None = strawberry.field(
        description="When it was archived: its values stay, readable and filterable, and no new ones are written. Null while live."
    )
    created_at: datetime = strawberry.field(description="When it was defined.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def of(cls, row: Any) -> CustomFieldDefinition:
        return cls(
            id=strawberry.ID(encode_id("CustomFieldDefinition", row.id)),
            entity=CustomFieldEntity(row.entity),
            key=row.key,
            label=row.label,
            type=CustomFieldType(row.type),
            options=[CustomFieldOption(key=o["key"], label=o["label"]) for o in row.options or ()],
            required=row.required,
            position=row.position,
            archived_at=row.archived_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.input(description="One choice of a SELECT or MULTI_SELECT field.")
class CustomFieldOptionInput:
    key: str = strawberry.field(
        description="Stored in customFields: 1-64 lower-case letters, digits and _ (e.g. dois_quartos)."
    )
    label: str = strawberry.field(description="What people read, 1-200 characters.")


@strawberry.input(description="A new custom field.")
class CustomFieldDefinitionInput:
    entity: CustomFieldEntity = strawberry.field(description="Contacts, companies or deals.")
    key: str = strawberry.field(description=f"{KEY_HELP}; unique per entity, archived fields included.")
    label: str = strawberry.field(description="What people read, 1-200 characters.")
    type: CustomFieldType = strawberry.field(description="What it holds.")
    options: list[CustomFieldOptionInput] | None = strawberry.field(
        default=None,
        description="SELECT / MULTI_SELECT: 1-100 choices with distinct keys; none for other types.",
    )
    required: bool = strawberry.field(default=False, description="Required when a record is created.")
    position: int | None = strawberry.field(
        default=None, description="Display order, 0-10000; default: after the entity's fields."
    )


@strawberry.input(description="Changes to a custom field: only the fields sent change; the key never does.")
class CustomFieldDefinitionUpdateInput:
    label: str | None = strawberry.field(default=strawberry.UNSET, description="What people read.")
    type: CustomFieldType | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new type: refused (RULE_VIOLATION) while any record, trashed ones included, holds a value under the key.",
    )
    options: list[CustomFieldOptionInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="The whole new list of choices; removing one a record chose is refused (RULE_VIOLATION).",
    )
    required: bool | None = strawberry.field(default=strawberry.UNSET, description="Required on create.")
    position: int | None = strawberry.field(default=strawberry.UNSET, description="Display order, 0-10000.")


@strawberry.type(description="Result of a custom-field definition mutation.")
class CustomFieldDefinitionPayload:
    definition: CustomFieldDefinition | None = strawberry.field(
        default=None, description="The field as changed."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.input(
    description=(
        "A condition on one custom field of the entity, by its key. Operators by type: TEXT eq neq in "
        "contains startsWith isNull; NUMBER, DECIMAL and DATE eq neq in gt gte lt lte isNull; BOOLEAN eq "
        "neq isNull; SELECT eq neq in isNull; MULTI_SELECT contains (has this option), in (has any of "
        'these), isNull (none chosen). Values read like written ones ("42" is 42 for a NUMBER). A '
        "record without a value matches only neq and isNull: true. Combine several with and/or/not."
    )
)
class CustomFieldFilter:
    key: str = strawberry.field(description="The field's key; archived fields may be named too.")
    eq: JSON | None = strawberry.field(default=strawberry.UNSET, description="Equal to.")
    neq: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Not equal to (records without a value match)."
    )
    in_: list[JSON] | None = strawberry.field(
        name="in", default=strawberry.UNSET, description="One of these (MULTI_SELECT: has any of these)."
    )
    contains: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="TEXT: contains this text, ignoring case. MULTI_SELECT: has this option.",
    )
    starts_with: str | None = strawberry.field(
        default=strawberry.UNSET, description="TEXT: starts with this text (case-sensitive)."
    )
    gt: JSON | None = strawberry.field(default=strawberry.UNSET, description="Greater than.")
    gte: JSON | None = strawberry.field(default=strawberry.UNSET, description="Greater than or equal to.")
    lt: JSON | None = strawberry.field(default=strawberry.UNSET, description="Less than.")
    lte: JSON | None = strawberry.field(default=strawberry.UNSET, description="Less than or equal to.")
    is_null: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true: has no value of the field's type; false: has one."
    )


CUSTOM_FIELD_FILTER_HELP = "A condition on one custom field (see customFieldDefinitions)."
CUSTOM_FIELDS_HELP = (
    "Workspace-specific fields, a JSON object keyed by the customFieldDefinitions of this entity, "
    "each value in its type's stored form (DECIMAL as a string, DATE as YYYY-MM-DD, MULTI_SELECT as "
    "a list of option keys); free JSON while the entity has no definitions."
)


@strawberry.type
class CustomFieldsQuery:
    @strawberry.field(
        description="The workspace's custom fields, by entity, position and creation; every member may read them (agents fill them in).",
        permission_classes=AUTHENTICATED,
    )
    async def custom_field_definitions(
        self,
        info: Info,
        entity: Annotated[
            CustomFieldEntity | None, strawberry.argument(description="Only this entity's fields; null: all.")
        ] = None,
        include_archived: Annotated[
            bool, strawberry.argument(description="Also list archived fields.")
        ] = False,
    ) -> list[CustomFieldDefinition]:
        rows = await query(
            definitions.list_definitions(
                ctx_of(info), entity.value if entity else None, include_archived=include_archived
            )
        )
        return [CustomFieldDefinition.of(r) for r in rows]


_definition_mutation = payload_mutation(CustomFieldDefinitionPayload, "definition", CustomFieldDefinition.of)


@strawberry.type
class CustomFieldsMutation:
    @strawberry.mutation(
        description="Add a custom field to contacts, companies or deals. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def create_custom_field_definition(
        self,
        info: Info,
        input: Annotated[CustomFieldDefinitionInput, strawberry.argument(description="The new field.")],
    ) -> CustomFieldDefinitionPayload:
        return await _definition_mutation(definitions.create_definition)(info, input_dict(input))

    @strawberry.mutation(
        description="Change a custom field's label, type, options, required flag or position. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def update_custom_field_definition(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The field.")],
        input: Annotated[CustomFieldDefinitionUpdateInput, strawberry.argument(description="The changes.")],
    ) -> CustomFieldDefinitionPayload:
        return await _definition_mutation(definitions.update_definition)(info, id, input_dict(input))

    @strawberry.mutation(
        description="Archive a custom field: its values stay (readable, filterable), no new ones are written. Refused (RULE_VIOLATION) while a stage requires it or an automation rule or a form writes it. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def archive_custom_field_definition(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The field.")]
    ) -> CustomFieldDefinitionPayload:
        return await _definition_mutation(definitions.set_definition_archived, archived=True)(info, id)

    @strawberry.mutation(
        description="Bring an archived custom field back. ADMIN only.", permission_classes=ADMIN
    )
    async def restore_custom_field_definition(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The field.")]
    ) -> CustomFieldDefinitionPayload:
        return await _definition_mutation(definitions.set_definition_archived, archived=False)(info, id)
