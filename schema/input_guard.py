"""The boundary check on the text every operation carries in (RELIABILITY.md
"Exposure and errors"): no string in the arguments of a root field — ids,
search terms, input fields, list items, JSON keys and values at any depth —
may hold NUL, another C0 control character but tab and line breaks, or an
unpaired surrogate (JSON may escape "\\ud800"; no UTF-8 database or
response can hold one). Stricter rules (names and tags on one line) are
the use cases' own, in resolvers/validation.py.

Checked once per root field, after its permission check and before its
resolver, so a refused operation runs no use case: a mutation answers with
its payload's userErrors (code INVALID, `field` the path into the
arguments), a query with a top-level INVALID error naming the same path in
`extensions.field`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.types.base import has_object_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.validation import bad_text_in
from revgraph.schema.common import top_level, user_errors

_NO_PAYLOAD = object()


class TextGuard(FieldExtension):
    """Refuses a root field whose arguments carry text no record may hold."""

    field: StrawberryField
    _payload: Any = None

    def apply(self, field: StrawberryField) -> None:
        self.field = field

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        error = self._bad_text(info, kwargs)
        if error is not None:
            return self._refusal(error)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        error = self._bad_text(info, kwargs)
        if error is not None:
            return self._refusal(error)
        return await next_(source, info, **kwargs)

    def _bad_text(self, info: Info, kwargs: dict[str, Any]) -> DomainError | None:
        names = info.schema.config.name_converter
        arguments = {
            names.from_argument(argument): kwargs[argument.python_name]
            for argument in self.field.arguments
            if argument.python_name in kwargs
        }

        def members(value: Any) -> Iterable[tuple[str, Any]] | None:
            if not has_object_definition(value):
                return None  # numbers, enums, dates: nothing to check
            return (
                (names.from_field(field), getattr(value, field.python_name))
                for field in value.__strawberry_definition__.fields
                if getattr(value, field.python_name, None) is not strawberry.UNSET
            )

        return bad_text_in(arguments, [], members)

    def _refusal(self, error: DomainError) -> Any:
        payload = self._payload_type()
        if payload is _NO_PAYLOAD:
            raise top_level(error)
        return payload(user_errors=user_errors(error))

    def _payload_type(self) -> Any:
        """The field's payload class when it has `userErrors`, read once."""
        if self._payload is None:
            kind = self.field.type
            if isinstance(kind, LazyType):
                kind = kind.resolve_type()
            fields = kind.__strawberry_definition__.fields if has_object_definition(kind) else ()
            has_errors = any(field.python_name == "user_errors" for field in fields)
            self._payload = kind if has_errors else _NO_PAYLOAD
        return self._payload


def guard_text_inputs(*root_types: Any) -> None:
    """Put a TextGuard on every root field with arguments (once: schemas
    are built again for each app, the fields are the same objects)."""
    for root in root_types:
        for field in root.__strawberry_definition__.fields:
            if field.arguments and not any(isinstance(e, TextGuard) for e in field.extensions):
                # First in the list is innermost: permission checks run before.
                field.extensions.insert(0, TextGuard())
