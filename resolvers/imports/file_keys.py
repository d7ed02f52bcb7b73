"""The file's own duplicates during a dry run, found without holding the
file's keys in memory.

A row that would create a record leaves its duplicate keys (e.g.
"email:ana@x.com", "cnpj:11222333000181") in ImportFileKey, in the same
transaction as its batch. A later row that would also create is checked
against that table with one indexed query per batch (`key IN (...)`, at
most BATCH_ROWS × keys per row) and against the rows of its own batch;
what the process holds is one batch's keys, whatever the file's size.
A resumed dry run finds the keys its committed batches left; the keys are
dropped when the dry run ends (or starts over)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from revgraph.models.imports import ImportFileKey
from revgraph.resolvers.bulk_insert import in_list

# Keys per IN (...) query: well under SQLite's bound-parameter limit.
QUERY_KEYS = 512
FORGET_ROWS = 5_000


class BatchKeys:
    """One batch's view of the keys: earlier batches' (asked of the table
    once) and this batch's own rows (in memory, one batch's worth)."""

    def __init__(self, job_id: int, earlier: dict[str, int]) -> None:
        self.job_id = job_id
        self.earlier = earlier
        self.new: dict[str, int] = {}

    def first_row(self, keys: Sequence[str]) -> int | None:
        """The first row before this one with any of `keys`, if any."""
        rows = [self.earlier[k] for k in keys if k in self.earlier] + [
            self.new[k] for k in keys if k in self.new
        ]
        return min(rows) if rows else None

    def remember(self, keys: Sequence[str], row: int) -> None:
        for key in keys:
            self.new.setdefault(key, row)

    @property
    def held(self) -> int:
        """Keys held in memory now (bounded by a batch's)."""
        return len(self.earlier) + len(self.new)

    async def save(self) -> None:
        """Store this batch's new keys (inside the batch's transaction)."""
        if self.new:
            await ImportFileKey.bulk_create(
                [ImportFileKey(job_id=self.job_id, key=k, row=r) for k, r in self.new.items()]
            )


async def batch_keys(job_id: int, keys: Sequence[str]) -> BatchKeys:
    """The keys of a batch's rows that earlier batches already met."""
    wanted = sorted({k for k in keys})
    earlier: dict[str, int] = {}
    for start in range(0, len(wanted), QUERY_KEYS):
        found = await ImportFileKey.filter(
            job_id=job_id, key__in=in_list(wanted[start : start + QUERY_KEYS])
        ).values_list("key", "row")
        earlier.update({str(k): int(r) for k, r in found})
    return BatchKeys(job_id, earlier)


async def forget(job_id: int) -> None:
    """Drop a job's keys, a slice per transaction (SQLite has one writer,
    and a 200,000-row file leaves up to 400,000 keys)."""
    while True:
        ids = (
            await ImportFileKey.filter(job_id=job_id)
            .order_by("id")
            .limit(FORGET_ROWS)
            .values_list("id", flat=True)
        )
        if not ids:
            return
        await ImportFileKey.filter(job_id=job_id, id__lte=ids[-1]).delete()
        await asyncio.sleep(0)
