"""bench/reads.py's report: the answers checked against GraphQL's, and the
run as Markdown tables of server CPU, latency and ratios."""

from __future__ import annotations

import json
from typing import Any

from peer import check_peer_page


def first_difference(got: Any, want: Any, path: str = "") -> str:
    if isinstance(got, dict) and isinstance(want, dict):
        for key in sorted(set(got) | set(want)):
            if got.get(key) != want.get(key):
                return first_difference(got.get(key), want.get(key), f"{path}.{key}")
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        for index, (a, b) in enumerate(zip(got, want, strict=True)):
            if a != b:
                return first_difference(a, b, f"{path}[{index}]")
    return f"{path}: {json.dumps(got)[:200]} != {json.dumps(want)[:200]}"


def check_answers(results: dict[str, dict], data: Any) -> None:
    """The floors must serve what GraphQL serves, the peer the same rows."""
    reference = results.get("graphql") or results.get("baseline")
    if reference is None:
        return
    for workload, row in reference.items():
        expected = row["answer"]
        if expected.get("errors"):
            raise RuntimeError(f"GraphQL errors on {workload}: {expected['errors']}")
        for name in ("physical", "orm", "baseline"):
            other = results.get(name, {}).get(workload)
            if other is not None and other["answer"].get("data") != expected["data"]:
                where = first_difference(other["answer"].get("data"), expected["data"])
                raise RuntimeError(f"{name} answers {workload} differently from GraphQL: {where}")
        peer = results.get("peer", {}).get(workload)
        if peer is not None:
            first = int(workload.split()[1])
            check_peer_page(peer["answer"], first, expected["data"]["contacts"]["totalCount"])


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}×" if a and b else "—"


def table(results: dict[str, dict], workloads: list[str], pg: bool) -> list[str]:
    """The run as Markdown: per server and workload, then the ratios."""
    lines = [
        "| server | workload | server CPU ms/req | "
        + ("db CPU ms/req | " if pg else "")
        + "p50 ms | p99 ms | p99/p50 |",
        "|---|---|---|" + ("---|" if pg else "") + "---|---|---|",
    ]
    for name, rows in results.items():
        for workload in workloads:
            row = rows.get(workload)
            if row is None:
                continue
            db = f" {row['db_cpu_ms']:.2f} |" if pg else ""
            lines.append(
                f"| {name} | {workload} | {row['cpu_ms']:.2f} |{db} {row['p50_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {row['p99_over_p50']:.2f} |"
            )
    lines += ["", "| workload | " + " | ".join(f"{n} ÷ physical" for n in results if n != "physical")]
    # server CPU; on PostgreSQL also with the database backends' CPU
    compared = [n for n in ("graphql", "baseline") if n in results] if pg and "peer" in results else []
    for name in compared:
        lines[-1] += f" | {name} ÷ peer (server) | {name} ÷ peer (server + db)"
    lines[-1] += " |"
    lines.append("|---" * (len(lines[-1].split("|")) - 2) + "|")

    def cpu(name: str, workload: str, with_db: bool = False) -> float | None:
        row = results.get(name, {}).get(workload)
        if row is None:
            return None
        return row["cpu_ms"] + (row.get("db_cpu_ms", 0.0) if with_db else 0.0)

    for workload in workloads:
        cells = [ratio(cpu(n, workload), cpu("physical", workload)) for n in results if n != "physical"]
        for name in compared:
            cells.append(ratio(cpu(name, workload), cpu("peer", workload)))
            cells.append(ratio(cpu(name, workload, True), cpu("peer", workload, True)))
        lines.append(f"| {workload} | " + " | ".join(cells) + " |")
    return lines
