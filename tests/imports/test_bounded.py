"""The dry run finds the file's own duplicates without holding the file's
keys in memory: what it holds is one batch's (file_keys.BatchKeys), the
rest is in import_file_key, which it empties when it ends; a dry run cut
short resumes from its last batch and still sees the rows before."""

from __future__ import annotations

import pytest

from revgraph.models.crm import Contact
from revgraph.models.imports import ImportFileKey, ImportJob
from revgraph.resolvers.ids import decode_id
from revgraph.resolvers.imports import file_keys, runner
from tests.graph.documents import create_contact
from tests.imports.support import csv_bytes, job, mapped, run, uploaded

BATCH = 4
# 40 different people, then the first one again (by phone), far from row 2
ROWS = [[f"Pessoa {i}", f"p{i}@example.com", f"11 98{i:03d}-1234", ""] for i in range(40)]
ROWS.append(["De novo", "", "11 98000-1234", ""])


async def test_the_dry_run_holds_one_batch_of_keys_and_still_finds_duplicates(
    gql, server, workspace, monkeypatch
):
    # given batches of 4 rows and a file with 80 distinct keys
    monkeypatch.setattr(runner, "BATCH_ROWS", BATCH)
    held: list[int] = []
    real = file_keys.batch_keys

    async def watched(job_id, keys):
        batch = await real(job_id, keys)
        real_save = batch.save

        async def save():
            held.append(batch.held)
            await real_save()

        batch.save = save
        return batch

    monkeypatch.setattr(file_keys, "batch_keys", watched)
    job_id = (await uploaded(gql, workspace.token, csv_bytes(ROWS)))["id"]
    await mapped(gql, workspace.token, job_id)
    # when the dry run reads it (here, in this process, to watch it)
    await ImportJob.filter(id=decode_id(job_id)[1]).update(status="VALIDATING", cursor=0)
    await runner.run_job(server.settings, decode_id(job_id)[1])
    checked = await job(gql, workspace.token, job_id, "DRY_RUN")
    # then the last row is the first one's duplicate
    assert checked["dryRun"] == {"valid": 41, "invalid": 0, "toCreate": 40, "toUpdate": 0, "toSkip": 1}
    # and no batch held more than its own rows' keys (2 each) and their earlier matches
    assert len(held) == 11
    assert max(held) <= 2 * BATCH * 2
    assert max(held) < 80
    # and the table is emptied when the dry run ends
    assert await ImportFileKey.all().count() == 0


class Crash(Exception):
    pass


async def test_a_dry_run_cut_short_resumes_and_remembers_earlier_rows(gql, server, workspace, monkeypatch):
    # given a dry run in batches of 4 that dies in its 6th batch
    monkeypatch.setattr(runner, "BATCH_ROWS", BATCH)
    job_id = (await uploaded(gql, workspace.token, csv_bytes(ROWS)))["id"]
    await mapped(gql, workspace.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="VALIDATING", cursor=0)
    real = file_keys.batch_keys
    calls = 0

    async def dying(*args):
        nonlocal calls
        calls += 1
        if calls == 6:
            raise Crash
        return await real(*args)

    monkeypatch.setattr(file_keys, "batch_keys", dying)
    with pytest.raises(Crash):
        await runner.run_job(server.settings, pk)
    stopped = await ImportJob.get(id=pk)
    assert (stopped.status, stopped.cursor) == ("VALIDATING", 21)  # 5 batches: rows 2-21
    assert await ImportFileKey.filter(job_id=pk).count() == 40
    # when it runs again
    monkeypatch.setattr(file_keys, "batch_keys", real)
    await runner.run_job(server.settings, pk)
    # then it finished from there, and still knew row 2
    done = await job(gql, workspace.token, job_id, "DRY_RUN")
    assert done["status"] == "VALIDATED"
    assert done["dryRun"] == {"valid": 41, "invalid": 0, "toCreate": 40, "toUpdate": 0, "toSkip": 1}


async def test_the_dry_run_looks_contacts_up_once_per_batch(gql, server, workspace, monkeypatch):
    # given 41 rows in batches of 4, some of them already contacts
    monkeypatch.setattr(runner, "BATCH_ROWS", BATCH)
    for i in (0, 17, 39):
        await create_contact(gql, workspace.token, name=f"Já {i}", email=f"p{i}@example.com")
    job_id = (await uploaded(gql, workspace.token, csv_bytes(ROWS)))["id"]
    await mapped(gql, workspace.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="VALIDATING", cursor=0)
    # when the dry run reads it, counting the contact queries it makes
    real_filter = Contact.filter.__func__
    reads = 0

    def counting(cls, *args, **kwargs):
        nonlocal reads
        reads += 1
        return real_filter(cls, *args, **kwargs)

    monkeypatch.setattr(Contact, "filter", classmethod(counting))
    await runner.run_job(server.settings, pk)
    monkeypatch.undo()
    # then the contacts were asked for once per batch and key, not once per row:
    # by e-mail and by phone (each through its index) for the ten batches of
    # four, by phone only for the last row
    assert reads == 2 * 10 + 1
    # and the answers are the per-row rule's: 3 existing skipped; the last
    # row's phone is row 2's, whose person is skipped (keeps no phone): new
    done = await job(gql, workspace.token, job_id, "DRY_RUN")
    assert done["dryRun"] == {"valid": 41, "invalid": 0, "toCreate": 38, "toUpdate": 0, "toSkip": 3}
    imported = await run(gql, workspace.token, job_id)
    assert (imported["createdCount"], imported["skippedCount"]) == (38, 3)
