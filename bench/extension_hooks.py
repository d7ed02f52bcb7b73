"""What an extension hook costs every operation: the schema's extension
list against the same list with main's two extra extensions before
2026-12-07 (MaxTokensLimiter and AddValidationRules, whose work the parse
and validation hooks now do), in one process, blocks alternated, CPU per
`schema.execute` of `{ __typename }` (the pipeline with nothing to resolve).

    python bench/extension_hooks.py [--blocks 25] [--per-block 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from strawberry.extensions import AddValidationRules, MaxTokensLimiter

from revgraph.resolvers.settings import Settings
from revgraph.schema import build_schema

QUERY = "query { __typename }"


async def block(schema, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        result = await schema.execute(QUERY, context_value={})
    assert not result.errors, result.errors
    return (time.process_time() - started) / n * 1e6


async def main(args: argparse.Namespace) -> None:
    settings = Settings()
    current, before = build_schema(settings), build_schema(settings)
    max_tokens = settings.limits.max_tokens
    parse, *rest = before.extensions
    before.extensions = (
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        parse,
        lambda: AddValidationRules([]),
        *rest,
    )
    for schema in (current, before):
        await block(schema, args.per_block)
    load = os.getloadavg()[0]
    measured: dict[str, list[float]] = {"current": [], "before": []}
    for _ in range(args.blocks):
        measured["current"].append(await block(current, args.per_block))
        measured["before"].append(await block(before, args.per_block))
    now, then = (statistics.median(measured[k]) for k in ("current", "before"))
    print(
        f"{len(current.extensions)} extensions: {now:.1f} µs/operation; {len(before.extensions)} (before): "
        f"{then:.1f} µs/operation; ratio {now / then:.3f}; load {load:.2f} → {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=25)
    parser.add_argument("--per-block", type=int, default=400)
    asyncio.run(main(parser.parse_args()))
