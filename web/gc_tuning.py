"""Python's garbage collector, set for a long-running server.

Sequential `contacts(first: 50)` requests had a p99 of 2–3× their p50
(issue 15). bench/gc_pauses.py timed the collector with `gc.callbacks`:
the slow requests were the ones holding a full (generation 2) collection,
about one every 25 requests, each walking every object the process holds —
the imported modules, the GraphQL schema, Tortoise's models — hundreds of
thousands of objects that live as long as the process and can never be
garbage. Young collections (generations 0 and 1) cost well under a
millisecond and are not the problem.

So, before the server takes its first request: collect once, then
`gc.freeze()` — everything alive moves to the permanent generation, which
no collection walks again — and let generation 0 grow larger before a young
collection runs, since a request allocates thousands of containers that
reference counting frees anyway. Cycles made while serving are still
collected; only what start-up built is never examined again.

Operators can override it: REVGRAPH_GC=python leaves the interpreter's own
collector untouched (thresholds 700/10/10, nothing frozen), and
REVGRAPH_GC_THRESHOLDS="g0,g1,g2" sets the three thresholds."""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from dataclasses import dataclass

# Measured with bench/gc_pauses.py (bench/READS.md): 10× Python's 700.
SERVING_THRESHOLDS = (7_000, 10, 10)


class GcSettingError(ValueError):
    """A REVGRAPH_GC / REVGRAPH_GC_THRESHOLDS value that cannot be applied."""


@dataclass(frozen=True)
class CollectorSetting:
    """What `tune_collector` did: the thresholds in force and how many
    objects start-up left frozen (0 when the operator kept Python's own)."""

    thresholds: tuple[int, int, int]
    frozen: int


def thresholds_from(environ: Mapping[str, str]) -> tuple[int, int, int]:
    raw = environ.get("REVGRAPH_GC_THRESHOLDS")
    if not raw:
        return SERVING_THRESHOLDS
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) != 3 or not all(part.isdigit() for part in parts) or int(parts[0]) < 1:
        raise GcSettingError(
            f"REVGRAPH_GC_THRESHOLDS={raw!r}: expected three whole numbers 'g0,g1,g2', g0 at least 1"
        )
    g0, g1, g2 = (int(part) for part in parts)
    return g0, g1, g2


@dataclass(frozen=True)
class CollectorRequest:
    """What the environment asks for: freeze start-up (and these
    thresholds), or leave Python's collector alone."""

    serving: bool
    thresholds: tuple[int, int, int]


def requested_collector(environ: Mapping[str, str] = os.environ) -> CollectorRequest:
    """Read and check REVGRAPH_GC and REVGRAPH_GC_THRESHOLDS (before any
    start-up work, so a bad value stops the server at once)."""
    mode = environ.get("REVGRAPH_GC", "serving").strip().lower()
    if mode not in ("serving", "python"):
        raise GcSettingError(f"REVGRAPH_GC={mode!r}: expected 'serving' (the default) or 'python'")
    return CollectorRequest(mode == "serving", thresholds_from(environ))


def apply_collector(request: CollectorRequest) -> CollectorSetting:
    """Freeze what start-up built and set the serving thresholds; once,
    after the app is built and before the first request."""
    if request.serving:
        gc.collect()
        gc.freeze()
        gc.set_threshold(*request.thresholds)
    return CollectorSetting(gc.get_threshold(), gc.get_freeze_count())


def tune_collector(environ: Mapping[str, str] = os.environ) -> CollectorSetting:
    """requested_collector, then apply_collector."""
    return apply_collector(requested_collector(environ))
