"""A job cut short mid-batch (a worker killed, a lost message) resumes from
its last committed batch: every row imported once, none twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from revgraph.models.crm import Contact
from revgraph.models.events import Event
from revgraph.models.imports import ImportJob
from revgraph.resolvers.ids import decode_id
from revgraph.resolvers.imports import contact_rows, files, runner
from tests.imports.support import csv_bytes, dry_run, job, mapped, uploaded

ROWS = [[f"Pessoa {i}", f"p{i}@example.com", "", "planilha"] for i in range(7)]


class Crash(Exception):
    pass


async def test_a_restarted_import_resumes_without_duplicates(gql, server, workspace, monkeypatch):
    # given a file stored in chunks of 4 rows, worked in batches of 2, validated
    monkeypatch.setattr(files, "CHUNK_ROWS", 4)
    monkeypatch.setattr(runner, "BATCH_ROWS", 2)
    uploaded_job = await uploaded(gql, workspace.token, csv_bytes(ROWS))
    job_id = uploaded_job["id"]
    await mapped(gql, workspace.token, job_id)
    await dry_run(gql, workspace.token, job_id)
    pk = decode_id(job_id)[1]
    # started, but its message was lost (so no actor runs it here)
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    # when a run dies creating the second batch's contacts (rows 4-5, mid-chunk)
    real_create = contact_rows.create_contacts
    calls = 0

    async def dying(ctx, inputs):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Crash
        return await real_create(ctx, inputs)

    monkeypatch.setattr(contact_rows, "create_contacts", dying)
    with pytest.raises(Crash):
        await runner.run_job(server.settings, pk)
    # then the committed batch is kept and the second left nothing
    stopped = await ImportJob.get(id=pk)
    assert stopped.status == "RUNNING"
    assert (stopped.cursor, stopped.created_count) == (3, 2)  # rows 2-3 of the sheet
    assert await Contact.all().count() == 2
    # when it runs again
    monkeypatch.setattr(contact_rows, "create_contacts", real_create)
    await runner.run_job(server.settings, pk)
    # then every row is imported exactly once
    done = await job(gql, workspace.token, job_id)
    assert (done["status"], done["createdCount"], done["processedRows"]) == ("COMPLETED", 7, 7)
    assert await Contact.all().count() == 7
    assert await Event.filter(kind="contact.created").count() == 7
    # and running a finished job again changes nothing
    await runner.run_job(server.settings, pk)
    assert await Contact.all().count() == 7


async def test_two_runs_at_once_import_each_row_once(gql, server, workspace, monkeypatch):
    # given a validated job started twice (a redelivered message beside the first)
    monkeypatch.setattr(files, "CHUNK_ROWS", 2)
    job_id = (await uploaded(gql, workspace.token, csv_bytes(ROWS)))["id"]
    await mapped(gql, workspace.token, job_id)
    await dry_run(gql, workspace.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    # when both run together
    await asyncio.gather(runner.run_job(server.settings, pk), runner.run_job(server.settings, pk))
    # then each batch was committed by one of them only
    done = await ImportJob.get(id=pk)
    assert (done.status, done.created_count, done.skipped_count) == ("COMPLETED", 7, 0)
    assert await Contact.all().count() == 7
    assert await Event.filter(kind="contact.created").count() == 7


async def test_the_sweep_finds_stalled_jobs_and_drops_abandoned_uploads(gql, workspace):
    # given a started import whose message was lost, and an upload a dying server left
    job_id = (await uploaded(gql, workspace.token, csv_bytes(ROWS)))["id"]
    await mapped(gql, workspace.token, job_id)
    await dry_run(gql, workspace.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="RUNNING")
    left = await ImportJob.create(
        workspace_id=(await ImportJob.get(id=pk)).workspace_id,
        entity="CONTACT",
        filename="meio.csv",
        encoding="utf-8",
        delimiter=";",
        status="UPLOADING",
    )
    # then a sweep soon after leaves both alone, a later one finds them
    assert await runner.stalled_jobs() == []
    assert await runner.drop_abandoned_uploads() == 0
    later = datetime.now(UTC) + timedelta(hours=2)
    assert await runner.stalled_jobs(later) == [pk]
    assert await runner.drop_abandoned_uploads(later) == 1
    assert not await ImportJob.filter(id=left.id).exists()
    assert await ImportJob.filter(id=pk).exists()
