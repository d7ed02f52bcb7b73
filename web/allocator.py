"""glibc malloc, set for a long-running asyncio server.

Under a steady load the RSS of `revgraph serve` rose for as long as it ran
(bench/FAULTS.md, "Memory"), yet nothing live grew: once the board's
snapshot cache was full, Python's blocks in use and malloc's bytes in use
stayed flat. What grew was free memory inside glibc's heap. asyncio's
selector transport reads each socket with `recv(256 KiB)`: a 256 KiB buffer,
shrunk to what arrived. glibc serves a block that large with mmap until the
first such block is freed; then its dynamic mmap threshold rises above it,
and from there on every read's buffer is carved out of the heap, where the
short-lived buffers interleave with longer-lived objects and leave holes
the heap never gives back (after 20 minutes: a 42 MiB heap, 16 MiB in use).

Pinning the threshold (mallopt M_MMAP_THRESHOLD, which also turns the
dynamic adjustment off) keeps large blocks in mmap: freed, they go back to
the kernel at once, and the heap holds only small and medium blocks. An
operator's own MALLOC_MMAP_THRESHOLD_ or GLIBC_TUNABLES setting wins; on a
libc without a working mallopt (musl) nothing changes."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Mapping

M_MMAP_THRESHOLD = -3
# glibc's own starting value: blocks from 128 KiB up are mmapped.
MMAP_THRESHOLD_BYTES = 128 * 1024


def pin_mmap_threshold(environ: Mapping[str, str] = os.environ) -> bool:
    """Keep blocks of 128 KiB and more out of the heap for the life of the
    process; False when the environment already decides, or no glibc."""
    if "MALLOC_MMAP_THRESHOLD_" in environ or "mmap_threshold" in environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
