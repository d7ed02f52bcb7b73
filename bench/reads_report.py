"""bench/reads.py's report: the answers checked against GraphQL's, the
servers' orders in a round, and the run's blocks summed up as Markdown
tables of server CPU, latency and ratios."""

from __future__ import annotations

import json
import statistics
from typing import Any

from board_common import percentile
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


def balanced_orders(k: int) -> list[list[int]]:
    """The servers' orders for successive rounds: a Williams Latin square of
    k (k rows, 2k for an odd k), so that over its rows each server is as
    often in each place and right after each other server."""
    first = [0] + [(j + 1) // 2 if j % 2 else k - j // 2 for j in range(1, k)]
    rows = [[(x + shift) % k for x in first] for shift in range(k)]
    return rows + ([row[::-1] for row in rows] if k % 2 else [])


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(first quartile, median, third quartile)."""
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def _spread(values: list[float], digits: int) -> dict[str, Any]:
    q1, median, q3 = quartiles(values)
    return {"median": round(median, digits), "iqr": [round(q1, digits), round(q3, digits)]}


# Ratios taken within each round: (numerator, denominator).
def _compared(names: list[str]) -> list[tuple[str, str]]:
    pairs = [(name, "physical") for name in names if name != "physical"]
    pairs += [("graphql", "baseline")]
    pairs += [(name, "peer") for name in ("graphql", "baseline")]
    return [(a, b) for a, b in pairs if a in names and b in names]


def summary(rounds: list[dict[str, dict[str, Any]]], pg: bool) -> dict[str, Any]:
    """One workload's rounds of blocks: per server the median and IQR over
    blocks of CPU ms/request (and its database backends'), p50/p99 of all
    its measured requests; per compared pair the median and IQR of the
    per-round ratios of server CPU (and of server + database CPU)."""
    names = list(rounds[0])
    servers: dict[str, Any] = {}
    for name in names:
        blocks = [done[name] for done in rounds]
        seconds = [s for one in blocks for s in one["seconds"]]
        p50, p99 = percentile(seconds, 50) * 1e3, percentile(seconds, 99) * 1e3
        row = {"blocks": len(blocks), "requests": len(seconds)}
        row["cpu_ms"] = _spread([one["cpu_ms"] for one in blocks], 3)
        if pg:
            row["db_cpu_ms"] = _spread([one["db_cpu_ms"] for one in blocks], 3)
        row.update(p50_ms=round(p50, 2), p99_ms=round(p99, 2), p99_over_p50=round(p99 / p50, 2))
        servers[name] = row
    ratios = {}
    for a, b in _compared(names):
        found = {"server": _spread([done[a]["cpu_ms"] / done[b]["cpu_ms"] for done in rounds], 3)}
        if pg:
            with_db = [
                (done[a]["cpu_ms"] + done[a]["db_cpu_ms"]) / (done[b]["cpu_ms"] + done[b]["db_cpu_ms"])
                for done in rounds
            ]
            found["server_and_db"] = _spread(with_db, 3)
        ratios[f"{a} ÷ {b}"] = found
    return {"servers": servers, "ratios": ratios}


def _cell(spread: dict[str, Any], digits: int, unit: str = "") -> str:
    low, high = spread["iqr"]
    return f"{spread['median']:.{digits}f}{unit} ({low:.{digits}f}–{high:.{digits}f})"


def table(summaries: dict[str, dict[str, Any]], labels: dict[str, str], pg: bool) -> list[str]:
    """The run as Markdown: per server and workload, then the ratios."""
    lines = [
        "| server | workload | server CPU ms/req, median of blocks (IQR) | "
        + ("db CPU ms/req (IQR) | " if pg else "")
        + "p50 ms | p99 ms | p99/p50 |",
        "|---|---|---|" + ("---|" if pg else "") + "---|---|---|",
    ]
    for name, label in labels.items():
        for workload, found in summaries.items():
            row = found["servers"].get(name)
            if row is None:
                continue
            db = f" {_cell(row['db_cpu_ms'], 2)} |" if pg else ""
            lines.append(
                f"| {label} | {workload} | {_cell(row['cpu_ms'], 2)} |{db} {row['p50_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {row['p99_over_p50']:.2f} |"
            )
    lines += [
        "",
        "| workload | ratio | server CPU, median of rounds (IQR) |"
        + (" server + db CPU (IQR) |" if pg else ""),
        "|---|---|---|" + ("---|" if pg else ""),
    ]
    for workload, found in summaries.items():
        for name, ratio in found["ratios"].items():
            with_db = f" {_cell(ratio['server_and_db'], 3, '×')} |" if pg else ""
            lines.append(f"| {workload} | {name} | {_cell(ratio['server'], 3, '×')} |{with_db}")
    return lines
