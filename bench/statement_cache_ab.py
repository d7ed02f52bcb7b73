"""The statement cache (resolvers/statement_cache.py) on and off in ONE
process, blocks alternating: CPU per request of the hot reads with their
statements kept per shape vs built by the ORM every time, the only
difference between the two being `read_rows.statement` (off: the build
itself). Same seeding and reads as bench/read_cpu.py.

    python bench/statement_cache_ab.py [--backend sqlite postgres] [--blocks 9] [--per-block 20]
"""

from __future__ import annotations

import argparse
import functools
import os
from typing import Any

from contacts_list import CONTACTS
from harness import each_backend_in_a_child, machine, today
from read_cpu import DEALS, Read, cpu_ms, seeded


def _built_every_time(query: Any, key: Any, build: Any, extra_leaf: Any = None) -> Any:
    return build(query, extra_leaf)


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from revgraph.resolvers import read_rows, statement_cache

    print(f"== {backend}", flush=True)
    modes = {"cache on": statement_cache.statement, "cache off": _built_every_time}
    async with seeded(backend, "revgraph_bench_statements") as bench:
        http = bench.http
        reads = [
            Read("contacts-50", CONTACTS, {"first": 50}, bench.headers),
            Read("deals-50", DEALS, {"first": 50}, bench.board_headers),
            bench.board_read(),
        ]
        answers = {}
        for mode, function in modes.items():
            read_rows.statement = function
            answers[mode] = [await read.once(http) for read in reads]
        for on, off, read in zip(answers["cache on"], answers["cache off"], reads, strict=True):
            if on.get("data") != off.get("data"):
                raise RuntimeError(f"{read.name}: the cache changed the answer\n{on}\n{off}"[:6000])
        switches = {mode: functools.partial(setattr, read_rows, "statement", f) for mode, f in modes.items()}
        load_before = os.getloadavg()[0]
        result = await cpu_ms(http, reads, args.blocks, args.per_block, switches)
        load_after = os.getloadavg()[0]
        read_rows.statement = statement_cache.statement
    print(f"  load average {load_before:.2f} → {load_after:.2f}; {dict(statement_cache.counts)}")
    print("| read | cache off CPU ms/req | cache on CPU ms/req | on ÷ off |")
    print("|---|---|---|---|")
    for read in reads:
        off, on = result[f"{read.name} cache off"], result[f"{read.name} cache on"]
        print(f"| {read.name} | {off:.2f} | {on:.2f} | {on / off:.2f} |", flush=True)
    return {"cpu_ms": result, "load": [load_before, load_after]}


def main(args: argparse.Namespace) -> None:
    if not args.child_json:
        print(f"statement cache on/off, CPU per request in-process — {today()}, {machine()}")
    each_backend_in_a_child(
        args,
        run_backend,
        ["--blocks", str(args.blocks), "--per-block", str(args.per_block)],
        results_name=f"statement_cache_ab-{today()}",
        recorded={"blocks": args.blocks, "per_block": args.per_block},
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="statement cache on/off, in-process")
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--blocks", type=int, default=9, help="alternating blocks per read (median)")
    parser.add_argument("--per-block", type=int, default=20, help="requests per block")
    parser.add_argument("--child-json", help=argparse.SUPPRESS)
    main(parser.parse_args())
