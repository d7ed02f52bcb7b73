"""While an import runs: its progress reaches a subscriber batch by batch
(not only at the end), and the API keeps answering reads and writes of
the same tables (a batch is its own short transaction; none spans the
file). The import runs in this process, held between batches by the
test, so "while it runs" is a fact of the test, not a race."""

from __future__ import annotations

import asyncio

from revgraph.models.crm import Contact
from revgraph.models.imports import ImportJob
from revgraph.resolvers.ids import decode_id
from revgraph.resolvers.imports import files, runner
from tests.graph.documents import CREATE_CONTACT
from tests.imports.support import contacts, csv_bytes, dry_run, job, mapped, uploaded
from tests.live import connect, subscribe

ROWS = [[f"Pessoa {i}", f"p{i}@example.com", "", "planilha"] for i in range(6)]
PROGRESS = """
subscription Progress($id: ID!) { importJobProgress(id: $id) { status processedRows createdCount } }
"""
# An answer "at once": far less than the import would take if it waited
# for the test to let every batch go (never, here).
PROMPT = 5.0


class Paced:
    """Holds an import before each batch after the first, until the test
    lets one more go; `after(n)` waits until n batches have committed."""

    def __init__(self, monkeypatch) -> None:
        self.done = 0
        self.committed = asyncio.Condition()
        self.go = asyncio.Semaphore(0)
        real = runner._batch

        async def paced(*args, **kwargs):
            if self.done:
                await self.go.acquire()
            moved = await real(*args, **kwargs)
            async with self.committed:
                self.done += 1
                self.committed.notify_all()
            return moved

        monkeypatch.setattr(runner, "_batch", paced)

    async def after(self, batches: int) -> None:
        async with self.committed:
            await asyncio.wait_for(self.committed.wait_for(lambda: self.done >= batches), PROMPT)

    def release(self) -> None:
        self.go.release()


async def finished(running: asyncio.Task, paced: Paced) -> None:
    """Let a held run go to its end (a failed test leaves no run waiting)."""
    for _ in range(len(ROWS)):
        paced.release()
    await asyncio.wait_for(running, PROMPT)


async def _started(gql, server, token, monkeypatch):
    """A validated file of 3 batches (2 rows each), importing in this
    process and held after its first batch; (job id, the run, its pacer)."""
    monkeypatch.setattr(files, "CHUNK_ROWS", 4)
    monkeypatch.setattr(runner, "BATCH_ROWS", 2)
    job_id = (await uploaded(gql, token, csv_bytes(ROWS)))["id"]
    await mapped(gql, token, job_id)
    await dry_run(gql, token, job_id)
    paced = Paced(monkeypatch)
    pk = decode_id(job_id)[1]
    # started (its message is not needed: the run is this task's)
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    running = asyncio.create_task(runner.run_job(server.settings, pk))
    await paced.after(1)
    return job_id, running, paced


async def test_progress_reaches_the_subscriber_while_the_import_runs(gql, server, workspace, monkeypatch):
    # given an import held after its first batch
    job_id, running, paced = await _started(gql, server, workspace.token, monkeypatch)
    try:
        async with connect(server.ws_url, workspace.token) as socket:
            # when its progress is followed
            subscription = await subscribe(socket, PROGRESS, {"id": job_id})
            seen = [(await subscription.next())["data"]["importJobProgress"]]
            # then the first batch is there while the others wait
            assert seen[0] == {"status": "RUNNING", "processedRows": 2, "createdCount": 2}
            # and each batch let go arrives before the import ends
            paced.release()
            await paced.after(2)
            seen.append((await subscription.next())["data"]["importJobProgress"])
            assert seen[1] == {"status": "RUNNING", "processedRows": 4, "createdCount": 4}
            assert not running.done()
            paced.release()
            while seen[-1]["status"] == "RUNNING":
                seen.append((await subscription.next())["data"]["importJobProgress"])
    finally:
        await finished(running, paced)
    assert seen[-1] == {"status": "COMPLETED", "processedRows": 6, "createdCount": 6}
    processed = [s["processedRows"] for s in seen]
    assert processed == sorted(processed) and processed[0] < processed[1] < processed[-1]


async def test_the_api_reads_and_writes_the_same_tables_while_an_import_runs(
    gql, server, workspace, monkeypatch
):
    # given an import of contacts held between its batches
    job_id, running, paced = await _started(gql, server, workspace.token, monkeypatch)
    try:
        # when someone creates a contact and reads the list and the job meanwhile
        created = await asyncio.wait_for(
            gql.ok(
                CREATE_CONTACT,
                {"input": {"name": "Ao vivo", "email": "vivo@example.com"}},
                token=workspace.token,
            ),
            PROMPT,
        )
        listed = await asyncio.wait_for(contacts(gql, workspace.token), PROMPT)
        current = await asyncio.wait_for(job(gql, workspace.token, job_id), PROMPT)
        # then each answers at once, seeing the committed batch and the new contact
        assert created["createContact"]["userErrors"] == []
        assert {c["name"] for c in listed} == {"Pessoa 0", "Pessoa 1", "Ao vivo"}
        assert (current["status"], current["processedRows"]) == ("RUNNING", 2)
        assert not running.done()
    finally:
        # and the import then ends as it would have, beside the API's contact
        await finished(running, paced)
    done = await job(gql, workspace.token, job_id)
    assert (done["status"], done["createdCount"]) == ("COMPLETED", 6)
    assert await Contact.all().count() == 7
