"""`revgraph serve` pins glibc's mmap threshold (web/allocator.py): a large
block freed must not move the next large blocks into the heap, where the
socket buffers of an asyncio server fragmented it and RSS rose for hours
(bench/FAULTS.md, "Memory"). Each case runs in a child process, so this
test process keeps its own allocator settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from revgraph.web.allocator import pin_mmap_threshold
from revgraph.web.memory_probe import mallinfo2

# Frees a 1 MiB block (as a read buffer is freed), then holds a 300 KiB one
# and reports whether glibc mmapped it.
CHILD = """
import json, sys
from revgraph.web.allocator import pin_mmap_threshold
from revgraph.web.memory_probe import mallinfo2
pinned = pin_mmap_threshold() if sys.argv[1] == "pin" else False
big = bytearray(1 << 20)
del big
before = mallinfo2()["hblks"]
block = bytearray(300_000)
print(json.dumps({"pinned": pinned, "mmapped": mallinfo2()["hblks"] - before}))
"""

needs_glibc = pytest.mark.skipif(not mallinfo2(), reason="glibc's malloc only")


def child(mode: str, **env: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


@needs_glibc
def test_a_freed_large_block_moves_the_next_ones_into_the_heap_unless_pinned():
    # given glibc's defaults: the dynamic threshold rises past a freed 1 MiB block
    assert child("default") == {"pinned": False, "mmapped": 0}
    # when the threshold is pinned, a 300 KiB block is still mmapped (and
    # goes back to the kernel when freed)
    assert child("pin") == {"pinned": True, "mmapped": 1}


@needs_glibc
def test_an_operators_own_setting_wins():
    # given an operator who set the threshold in the environment
    assert child("pin", MALLOC_MMAP_THRESHOLD_="4194304") == {"pinned": False, "mmapped": 0}
    assert not pin_mmap_threshold({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"})
