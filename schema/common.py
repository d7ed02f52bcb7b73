"""Shared GraphQL building blocks: Node, PageInfo, UserError, operator
filter inputs, and the glue that maps domain errors onto the contract."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import strawberry
from dateutil.parser import isoparse
from graphql import FieldNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode
from strawberry.schema.types.base_scalars import DateTimeDefinition, wrap_parser
from strawberry.types import Info
from strawberry.types.scalar import ScalarDefinition

from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import AuthError, DomainError, LimitExceeded
from revgraph.resolvers.i18n import _
from revgraph.resolvers.pagination import InvalidCursor, Page
from revgraph.resolvers.settings import Limits

# Input limits as the contract states them: the defaults, each a setting
# (resolvers/settings.py Limits). Past one: INVALID naming the field.
_LIMITS = Limits()
FILTER_LIMITS = (
    f"Limits (defaults): and/or/not nest at most {_LIMITS.max_filter_depth} deep; one and/or takes at most "
    f"{_LIMITS.max_filter_values} filters and a list at most {_LIMITS.max_filter_values} values; "
    f"at most {_LIMITS.max_filter_conditions} field conditions in all; text values at most "
    f"{_LIMITS.max_search_chars} characters."
)
SEARCH_LIMIT = f"`search` is at most {_LIMITS.max_search_chars} characters (default)."
TAG_LIMITS = (
    f"At most {_LIMITS.max_tags} tags, each one line of 1-{_LIMITS.max_tag_chars} characters (defaults)."
)
CUSTOM_FIELDS_LIMITS = (
    f"A JSON object of at most {_LIMITS.max_custom_fields} keys (1-{_LIMITS.max_custom_field_key_chars} "
    f"characters), {_LIMITS.max_custom_fields_bytes // 1024} KB as JSON, nested at most "
    f"{_LIMITS.max_custom_fields_depth} levels (defaults). Once the entity has customFieldDefinitions, "
    "only their keys are accepted, each value checked and normalised by type (an INVALID userError per "
    'bad field on [..., "customFields", "<key>"]); a key sent with the value the record already holds '
    "is kept as it is."
)


def _aware_instant(text: str) -> datetime:
    """An ISO-8601 date and time as an aware instant: the contract's
    DateTime carries its offset; one sent without (or a bare date,
    "2027-03-31") is UTC, as the API's filters already read it — never a
    naive value that the database layers would each guess about."""
    value = isoparse(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# The contract's `scalar DateTime` (ISO-8601 with offset): Strawberry's, with
# inputs made aware (`_aware_instant`); output unchanged.
DateTimeScalar = ScalarDefinition(
    name=DateTimeDefinition.name,
    description=DateTimeDefinition.description,
    specified_by_url=DateTimeDefinition.specified_by_url,
    serialize=DateTimeDefinition.serialize,
    parse_value=wrap_parser(_aware_instant, "DateTime"),
    parse_literal=None,
    origin=datetime,
)


# The contract's `scalar Date` (ISO-8601 calendar date, "2026-12-25"):
# Strawberry's built-in scalar for `date`, serialised and parsed as ISO.
Date = date


@strawberry.interface(description="An object with a global, opaque id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id; stable for the life of the record.")


@strawberry.type(description="Relay pagination state of a connection.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow the last edge.")
    has_previous_page: bool = strawberry.field(description="Items precede the first edge.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge; pass as `after` for the next page."
    )


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum(description="Why a mutation refused: the `code` of a UserError.")
class ErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    REQUIRED_FIELD_MISSING = "REQUIRED_FIELD_MISSING"
    RULE_VIOLATION = "RULE_VIOLATION"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    FORBIDDEN = "FORBIDDEN"
    WINDOW_CLOSED = strawberry.enum_value(
        "WINDOW_CLOSED", description="The channel's reply window is closed: only a template may be sent."
    )
    NO_CONSENT = strawberry.enum_value(
        "NO_CONSENT",
        description="The contact opted out of this channel (a contact who writes to an inbox is opted in until they opt out).",
    )


@strawberry.type(description="A business-rule failure; the mutation changed nothing.")
class UserError:
    code: ErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable; says what to do.")
    field: list[str] | None = strawberry.field(description='Path into the input, e.g. ["input", "email"].')
    rule: str | None = strawberry.field(
        default=None,
        description=(
            "The stable machine name of the rule that refused (e.g. stage.requires_scheduled_task, "
            "stage.entry_condition, stage.required_field, stage.lost_reason); null when none. "
            "Tells apart refusals that share a code: a stage may have both an entry condition and "
            "the scheduled-task rule, each a RULE_VIOLATION."
        ),
    )


@strawberry.input(
    description="Operators on a text field (case-sensitive except `contains`, which ignores case)."
)
class StringFilter:
    eq: str | None = strawberry.field(default=strawberry.UNSET, description="Equal to.")
    neq: str | None = strawberry.field(default=strawberry.UNSET, description="Not equal to.")
    in_: list[str] | None = strawberry.field(name="in", default=strawberry.UNSET, description="One of these.")
    contains: str | None = strawberry.field(
        default=strawberry.UNSET, description="Contains this text, ignoring case."
    )
    starts_with: str | None = strawberry.field(default=strawberry.UNSET, description="Starts with this text.")
    is_null: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true: has no value; false: has one."
    )


@strawberry.input(description="Operators on an id field.")
class IDFilter:
    eq: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="Equal to.")
    in_: list[strawberry.ID] | None = strawberry.field(
        name="in", default=strawberry.UNSET, description="One of these."
    )
    is_null: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true: has no value; false: has one."
    )


@strawberry.input(description="Operators on an integer field.")
class IntFilter:
    eq: int | None = strawberry.field(default=strawberry.UNSET, description="Equal to.")
    gt: int | None = strawberry.field(default=strawberry.UNSET, description="Greater than.")
    gte: int | None = strawberry.field(default=strawberry.UNSET, description="Greater than or equal to.")
    lt: int | None = strawberry.field(default=strawberry.UNSET, description="Less than.")
    lte: int | None = strawberry.field(default=strawberry.UNSET, description="Less than or equal to.")


@strawberry.input(description="Operators on a decimal field.")
class DecimalFilter:
    eq: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Equal to.")
    gt: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Greater than.")
    gte: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Greater than or equal to.")
    lt: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Less than.")
    lte: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Less than or equal to.")


@strawberry.input(description="Operators on a date-time field (ISO-8601 with offset).")
class DateTimeFilter:
    gt: datetime | None = strawberry.field(default=strawberry.UNSET, description="Greater than.")
    gte: datetime | None = strawberry.field(default=strawberry.UNSET, description="Greater than or equal to.")
    lt: datetime | None = strawberry.field(default=strawberry.UNSET, description="Less than.")
    lte: datetime | None = strawberry.field(default=strawberry.UNSET, description="Less than or equal to.")
    is_null: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true: has no value; false: has one."
    )


def ctx_of(info: Info) -> Context:
    return info.context["ctx"]


def selects(info: Info, *path: str) -> bool:
    """Whether the current field's selection reaches `path` below it (e.g.
    "edges", "node", "owner"), through fragments too: what a resolver may
    load ahead for the fields under it. Walks the document's nodes, not
    Strawberry's `selected_fields` (which converts the whole selection
    below the field on each call: a board asks per column)."""
    if not path:
        return True
    names = selected_fields(info, *path[:-1])
    return names is not None and path[-1] in names


def selected_fields(info: Info, *path: str) -> set[str] | None:
    """The names of the fields selected at `path` below the current field
    (through fragments, whatever their directives: a superset), or None
    when nothing is: what a read may narrow its columns to."""
    raw = info._raw_info
    level: list[Any] = [
        child for node in raw.field_nodes if node.selection_set for child in node.selection_set.selections
    ]
    for name in (*path, None):
        matched: list[Any] = []
        names: set[str] = set()
        while level:
            selection = level.pop()
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
                if selection.name.value == name:
                    matched.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                level.extend(selection.selection_set.selections)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = raw.fragments.get(selection.name.value)
                if fragment is not None:
                    level.extend(fragment.selection_set.selections)
        if name is None:
            return names
        if not matched:
            return None
        level = [
            child for field in matched if field.selection_set for child in field.selection_set.selections
        ]
    return None


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(code=ErrorCode(p.code), message=p.message, field=p.field, rule=p.rule)
        for p in error.problems
    ]


def top_level(error: Exception) -> GraphQLError:
    if isinstance(error, DomainError):
        # A read cannot answer with userErrors: what the client got wrong
        # (a malformed filter, a search too long) is a top-level INVALID
        # naming the argument in `extensions.field`.
        problem = error.problems[0]
        return GraphQLError(str(problem.message), extensions={"code": problem.code, "field": problem.field})
    if isinstance(error, AuthError):
        return GraphQLError(str(error), extensions={"code": error.code})
    if isinstance(error, LimitExceeded):
        return GraphQLError(str(error), extensions={"code": error.code})
    if isinstance(error, InvalidCursor):
        return GraphQLError(
            _("Invalid cursor: use one returned by this list."), extensions={"code": "INVALID"}
        )
    raise error


P = TypeVar("P")


async def mutate(payload: Callable[..., P], work: Callable[[], Awaitable[dict[str, Any]]]) -> P:
    """Run a use case and build its payload: domain failures become
    userErrors, auth/limit failures top-level errors."""
    try:
        values = await work()
    except DomainError as error:
        return payload(user_errors=user_errors(error))
    except (AuthError, LimitExceeded) as error:
        raise top_level(error) from error
    return payload(user_errors=[], **values)


def payload_mutation(payload: Callable[..., P], key: str, wrap: Callable[[Any], Any]) -> Callable[..., Any]:
    """The glue of a mutation said once: `payload_mutation(ContactPayload,
    "contact", Contact.of)(use_case)` is an async `(info, *args)` that calls
    `use_case(ctx, *args)` and returns the payload with the wrapped record,
    or with the use case's userErrors."""

    def bind(use_case: Callable[..., Awaitable[Any]], **options: Any) -> Callable[..., Awaitable[P]]:
        async def run(info: Info, *args: Any) -> P:
            ctx = ctx_of(info)

            async def work() -> dict[str, Any]:
                return {key: wrap(await use_case(ctx, *args, **options))}

            return await mutate(payload, work)

        return run

    return bind


async def query(work: Awaitable[Any]) -> Any:
    """Await a read use case, mapping domain/auth/limit/cursor failures to top-level errors."""
    try:
        return await work
    except (DomainError, AuthError, LimitExceeded, InvalidCursor) as error:
        raise top_level(error) from error


def page_info(page: Page) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )


def unset_to_none(value: Any) -> Any:
    return None if value is strawberry.UNSET else value


def input_dict(value: Any) -> dict[str, Any]:
    """A Strawberry input as a plain dict of the fields the client sent
    (UNSET dropped, nested inputs and enums converted), keyed by Python name."""
    if value is None or value is strawberry.UNSET:
        return {}
    out: dict[str, Any] = {}
    for name, field_value in vars(value).items():
        if field_value is strawberry.UNSET:
            continue
        out[name] = _plain(field_value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__strawberry_definition__"):
        return input_dict(value)
    return value


@strawberry.type(description="Result of a delete* mutation: the record went to the trash.")
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="Id of the trashed record.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")
