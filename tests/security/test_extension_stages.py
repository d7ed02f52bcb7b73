"""The lean extension runner (schema/extensions.py HookedStagesRunner)
enters, leaves and unwinds hooks exactly as Strawberry's own runner does:
same order, same exceptions seen by the hooks, same results."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

from revgraph.schema.extensions import HookedStagesRunner


class Recording(SchemaExtension):
    """Sync parse and validate hooks and an async execute hook that log what they see."""

    def __init__(self, name: str, log: list[str], *, swallow: bool = False, fail_entry: bool = False) -> None:
        self.name, self.log, self.swallow, self.fail_entry = name, log, swallow, fail_entry

    def on_parse(self) -> Iterator[None]:
        self.log.append(f"{self.name} parse in")
        yield
        self.log.append(f"{self.name} parse out")

    def on_validate(self) -> Iterator[None]:
        if self.fail_entry:
            raise ValueError(f"{self.name} refuses")
        try:
            yield
        except KeyError as exc:
            self.log.append(f"{self.name} validate saw {exc!r}")
            if not self.swallow:
                raise
        self.log.append(f"{self.name} validate out")

    async def on_execute(self) -> AsyncIterator[None]:
        self.log.append(f"{self.name} execute in")
        try:
            yield
        finally:
            self.log.append(f"{self.name} execute out")

    def get_results(self) -> dict[str, Any]:
        return {self.name: len(self.log)}


class Silent(SchemaExtension):
    """No hook at all (as ErrorMasking has none but get_results)."""


async def scenario(runner_class: type[SchemaExtensionsRunner], **options: Any) -> list[str]:
    log: list[str] = []
    extensions = [Recording("a", log), Silent(), Recording("b", log, **options)]
    runner = runner_class(execution_context=None, extensions=extensions)  # type: ignore[arg-type]
    async with runner.operation():
        async with runner.parsing():
            log.append("parse")
        try:
            async with runner.validation():
                raise KeyError("bad")
        except (KeyError, ValueError) as exc:
            log.append(f"escaped {exc!r}")
        async with runner.executing():
            log.append("execute")

    class Results:
        extensions_results: dict[str, Any] = {"x": 1}

    log.append(repr(await runner.get_extensions_results(Results())))  # type: ignore[arg-type]
    return log


@pytest.mark.parametrize("options", [{}, {"swallow": True}, {"fail_entry": True}])
async def test_the_lean_runner_behaves_as_strawberrys(options):
    # given the same extensions, hooks that re-raise, swallow, or refuse on entry
    # when each runner takes them through the four stages
    lean = await scenario(HookedStagesRunner, **options)
    strawberry = await scenario(SchemaExtensionsRunner, **options)
    # then the hooks saw and did the same things in the same order
    assert lean == strawberry
    assert "a parse in" in lean and "execute" in lean


# Depth 5; no context, so its execution fails (masked): only the limits are looked at.
DEEP = "{ contacts(first: 1) { edges { node { company { name } } } } }"


async def test_a_document_within_its_limits_is_measured_once_per_limits():
    import dataclasses

    from revgraph.resolvers.settings import Settings
    from revgraph.schema import build_schema
    from revgraph.schema.document_limits import DocumentLimits
    from revgraph.schema.extensions import within_limits

    loose = Settings()
    tight = dataclasses.replace(loose, limits=dataclasses.replace(loose.limits, max_depth=2))
    loose_schema, tight_schema = build_schema(loose), build_schema(tight)
    # given a document that passed the loose schema's limits
    first = await loose_schema.execute(DEEP, context_value={})
    document = loose_schema.extensions[0]().cached_parse_document(DEEP, max_tokens=loose.limits.max_tokens)
    limits = loose.limits
    assert within_limits(document, DocumentLimits(limits.max_depth, limits.max_aliases, limits.max_fields))
    # when the same parsed document is sent again, and to a schema with a tighter depth limit
    again = await loose_schema.execute(DEEP, context_value={})
    refused = await tight_schema.execute(DEEP, context_value={})
    # then the loose schema answers as the first time, and the tight one still refuses it
    assert [e.message for e in again.errors or ()] == [e.message for e in first.errors or ()]
    assert not any((e.extensions or {}).get("code") == "QUERY_TOO_COMPLEX" for e in first.errors or ())
    [error] = refused.errors
    assert error.extensions["code"] == "QUERY_TOO_COMPLEX" and "2" in error.message
