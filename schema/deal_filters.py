"""The enums, filter and ordering inputs of deals (types: deals.py)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from revgraph.schema.common import (
    FILTER_LIMITS,
    DateTimeFilter,
    DecimalFilter,
    IDFilter,
    IntFilter,
    OrderDirection,
    StringFilter,
    input_dict,
)
from revgraph.schema.custom_fields import CUSTOM_FIELD_FILTER_HELP, CustomFieldFilter


@strawberry.enum(description="What entering a stage means: still open, won or lost.")
class StageKind(Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


@strawberry.enum(description="A deal's outcome, set by the kind of its stage.")
class DealStatus(Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


@strawberry.enum(description="Fields deals can be ordered by. POSITION is card order within a stage.")
class DealOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    VALUE = "VALUE"
    TITLE = "TITLE"
    POSITION = "POSITION"
    EXPECTED_CLOSE_DATE = "EXPECTED_CLOSE_DATE"


@strawberry.enum(description="What happened to a card on the board.")
class BoardEventKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    MOVED = "MOVED"
    REMOVED = "REMOVED"


@strawberry.input(
    description="Deals matching every given condition (and/or/not combine filters); `deleted: true` at the top "
    "lists the trash. " + FILTER_LIMITS
)
class DealFilter:
    and_: list[DealFilter] | None = strawberry.field(
        name="and", default=strawberry.UNSET, description="All of these."
    )
    or_: list[DealFilter] | None = strawberry.field(
        name="or", default=strawberry.UNSET, description="Any of these."
    )
    not_: DealFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description="Not this.")
    title: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="Title.")
    number: IntFilter | None = strawberry.field(
        default=strawberry.UNSET, description="The deal's readable number in the workspace."
    )
    pipeline_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="Pipeline.")
    stage_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="Current stage.")
    owner_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="Owner.")
    contact_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="Contact.")
    development_id: IDFilter | None = strawberry.field(
        default=strawberry.UNSET, description="Development of interest (empreendimento)."
    )
    status: list[DealStatus] | None = strawberry.field(
        default=strawberry.UNSET, description="Any of these statuses."
    )
    value: DecimalFilter | None = strawberry.field(default=strawberry.UNSET, description="Value.")
    created_at: DateTimeFilter | None = strawberry.field(
        default=strawberry.UNSET, description="Creation time."
    )
    custom_field: CustomFieldFilter | None = strawberry.field(
        default=strawberry.UNSET, description=CUSTOM_FIELD_FILTER_HELP
    )
    deleted: bool | None = strawberry.field(default=strawberry.UNSET, description="true: only the trash.")


@strawberry.input(description="One ordering key.")
class DealOrder:
    field: DealOrderField = strawberry.field(description="Field to order by.")
    direction: OrderDirection = strawberry.field(description="ASC or DESC.")


def deal_filter_dict(value: Any) -> dict[str, Any] | None:
    plain = input_dict(value)
    return plain or None
