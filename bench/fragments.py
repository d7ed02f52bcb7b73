"""What a small hostile document costs the server before it is refused
(issue "hardening", RELIABILITY.md "Demand control"): documents of
fragments that spread each other twice per level, ~5 tokens a level,
through the whole GraphQL pipeline in-process (parse, shape, validation,
cost, execution), and the same documents with the field limit lifted, which
shows that validation, the cost estimate and execution stay linear.

    python bench/fragments.py [--levels 10 20 30 40] [--repeat 20]

It prints, per depth, the median and worst wall time of one request and
its outcome. No database is touched: the documents are refused (or, with
`__typename` leaves and the limit lifted, answered) before any SQL.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import time

from graphql.language import Lexer, Source, TokenKind

from revgraph.resolvers.settings import Settings
from revgraph.schema import build_schema


def doubling(levels: int, leaf: str = "__typename") -> str:
    return f"query {{ ...F{levels} }} fragment F0 on Query {{ {leaf} }} " + " ".join(
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    )


def token_count(document: str) -> int:
    lexer = Lexer(Source(document))
    count = 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


async def timed(schema, document: str, repeat: int) -> tuple[list[float], str]:
    samples, outcome = [], ""
    for index in range(repeat):
        # A new text each time, so the parser and validation caches miss.
        text = f"{document} # {index}"
        started = time.perf_counter()
        result = await schema.execute(text, context_value={})
        samples.append((time.perf_counter() - started) * 1000)
        outcome = (result.errors[0].extensions or {}).get("code", "error") if result.errors else "answered"
    return samples, outcome


async def main(levels: list[int], repeat: int) -> None:
    limited = build_schema(Settings(secret_key="bench"))
    base = Settings(secret_key="bench")
    unlimited = build_schema(
        dataclasses.replace(base, limits=dataclasses.replace(base.limits, max_fields=10**15))
    )
    print(f"doubling fragments, {repeat} requests per row (ms of wall time, in-process)")
    print(f"{'levels':>6} {'tokens':>6} {'expanded':>16} | {'limit 5,000':>26} | {'limit lifted':>26}")
    for n in levels:
        document = doubling(n)
        tokens = token_count(document)
        refused, outcome_a = await timed(limited, document, repeat)
        answered, outcome_b = await timed(unlimited, document, repeat)
        print(
            f"{n:>6} {tokens:>6} {2**n:>16,} | "
            f"p50 {statistics.median(refused):5.2f} max {max(refused):6.2f} {outcome_a:>9} | "
            f"p50 {statistics.median(answered):5.2f} max {max(answered):6.2f} {outcome_b:>9}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 20, 30, 40])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.levels, args.repeat))
