"""An opt-in look at a serving process's memory (bench/memory.py).

Off unless REVGRAPH_DEBUG_TRACEMALLOC names a directory. Then `revgraph
serve` answers SIGUSR1 by writing `<pid>-<n>.json` there — RSS, threads,
glibc malloc's totals and arenas, pymalloc's arenas and blocks, asyncio
tasks and the sizes of the process's own bounded caches — and SIGUSR2 by
writing the same plus the count of live gc-tracked objects per type (a list
of every object: kept out of the frequent dump, whose own allocations would
move what it measures) and, when tracing, `<pid>-<n>.tracemalloc`, a
`tracemalloc.take_snapshot()`. With REVGRAPH_DEBUG_TRACEMALLOC_FRAMES set
and no PYTHONTRACEMALLOC, the first SIGUSR2 starts tracing with that many
frames instead: traced from its start, a server takes minutes to import and
build its schema, and a warmed-up one is what is worth watching. Both block
the loop while they write: a diagnostic for benches, never for production."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import logging
import os
import re
import signal
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
ENV = "REVGRAPH_DEBUG_TRACEMALLOC"
TOP_TYPES = 400


def install_from_env(loop: asyncio.AbstractEventLoop) -> bool:
    """Answer SIGUSR1/SIGUSR2 on `loop` when REVGRAPH_DEBUG_TRACEMALLOC is
    set (a callback of the loop, never in the middle of other code)."""
    folder = os.environ.get(ENV)
    if not folder:
        return False
    Path(folder).mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1 << 30))

    def dump(full: bool) -> None:
        n = next(counter)
        stem = Path(folder) / f"{os.getpid()}-{n:03d}"
        try:
            stats = memory_stats(types=full)
            frames = os.environ.get(f"{ENV}_FRAMES")
            if full and frames and not tracemalloc.is_tracing():
                tracemalloc.start(int(frames))
                stats["tracemalloc_started"] = True
            elif full and tracemalloc.is_tracing():
                started = time.monotonic()
                tracemalloc.take_snapshot().dump(f"{stem}.tracemalloc")
                stats["snapshot_seconds"] = round(time.monotonic() - started, 2)
            stem.with_suffix(".json").write_text(json.dumps(stats, indent=1))
        except Exception:
            log.exception("memory dump %s failed", stem)

    loop.add_signal_handler(signal.SIGUSR1, dump, False)
    loop.add_signal_handler(signal.SIGUSR2, dump, True)
    return True


def memory_stats(*, types: bool = False) -> dict[str, Any]:
    stats: dict[str, Any] = {"pid": os.getpid(), "time": time.time()}
    stats["status"] = _proc_status()
    stats["allocated_blocks"] = sys.getallocatedblocks()
    if tracemalloc.is_tracing():
        current, peak = tracemalloc.get_traced_memory()
        stats["tracemalloc"] = {"current": current, "peak": peak, "frames": tracemalloc.get_traceback_limit()}
    stats["mallinfo2"] = mallinfo2()
    printed = _c_stderr_of(lambda: (sys._debugmallocstats(), _libc().malloc_stats()))
    stats["pymalloc"] = _pymalloc_totals(printed)
    stats["glibc_arenas"] = len(re.findall(r"^Arena \d+:", printed, re.M))
    if types:
        objects = gc.get_objects()
        stats["gc_objects"] = len(objects)
        counts = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in objects)
        del objects
        stats["types"] = dict(counts.most_common(TOP_TYPES))
    with contextlib.suppress(RuntimeError):
        stats["asyncio_tasks"] = len(asyncio.all_tasks(asyncio.get_running_loop()))
    stats["caches"] = _cache_sizes()
    return stats


def _proc_status() -> dict[str, int]:
    wanted = ("VmRSS", "RssAnon", "RssFile", "VmData", "Threads")
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in wanted:
            values[key] = int(rest.split()[0])  # kB, or a count for Threads
    return values


def _libc() -> Any:
    return ctypes.CDLL(None)


MALLINFO2_FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in MALLINFO2_FIELDS]


def mallinfo2() -> dict[str, int]:
    """glibc's totals over all arenas: `arena` bytes from sbrk/heaps,
    `hblkhd` in mmapped chunks, `uordblks` in use, `fordblks` free."""
    try:
        fn = _libc().mallinfo2
    except AttributeError:
        return {}
    fn.restype = _MallInfo2
    info = fn()
    return {name: getattr(info, name) for name in MALLINFO2_FIELDS}


def _c_stderr_of(work: Any) -> str:
    """What C code writes to fd 2 while `work` runs."""
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            work()
            _libc().fflush(None)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        return sink.read().decode(errors="replace")


def _pymalloc_totals(printed: str) -> dict[str, int]:
    """sys._debugmallocstats' arena counts and byte totals."""
    wanted = {
        "# arenas allocated current": "arenas",
        "# arenas highwater mark": "arenas_highwater",
        "# bytes in allocated blocks": "allocated_bytes",
        "# bytes in available blocks": "available_bytes",
        "unused pools": "unused_pool_bytes",
        "arenas *": "arena_bytes",
    }
    totals: dict[str, int] = {}
    for line in printed.splitlines():
        label, _, value = line.partition("=")
        for prefix, key in wanted.items():
            if prefix in label and key not in totals and value.strip().replace(",", "").isdigit():
                totals[key] = int(value.strip().replace(",", ""))
    return totals


def _cache_sizes() -> dict[str, int]:
    """The process's own bounded caches, as far as they are loaded."""
    sizes: dict[str, int] = {}
    board = sys.modules.get("revgraph.resolvers.board")
    if board is not None:
        entries = list(board.snapshots.entries.values())
        sizes["board_snapshots"] = len(entries)
        sizes["board_snapshot_records"] = sum(
            len(f.result().records)
            for f in entries
            if f.done() and not f.cancelled() and f.exception() is None
        )
    bus_module = sys.modules.get("revgraph.resolvers.events.bus")
    bus = bus_module.current_bus() if bus_module is not None else None
    if bus is not None:
        sizes["bus_recent"] = len(bus._recent)
        sizes["bus_channels"] = len(bus.broadcast._subscribers)
    hub_module = sys.modules.get("revgraph.resolvers.board_hub")
    if hub_module is not None:
        sizes["board_hubs"] = len(hub_module.hubs.hubs)
    return sizes
