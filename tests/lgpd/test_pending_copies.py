"""Work that had not reached the person when they were erased does not
bring them back: an import's stored row is refused (ERASED) instead of
creating them again, even in a batch that read its rows before the
erasure, and an RD Station conversion not captured yet is not captured."""

from __future__ import annotations

from datetime import UTC, datetime

from revgraph.models.crm import Contact
from revgraph.models.imports import ImportChunk, ImportJob
from revgraph.models.partners import MarketingConversion
from revgraph.resolvers.ids import decode_id
from revgraph.resolvers.imports import runner
from revgraph.resolvers.lgpd.copies import Keys
from revgraph.resolvers.lgpd.subject import REMOVED
from revgraph.resolvers.partners import rdstation
from tests.graph.documents import create_contact
from tests.imports.support import csv_bytes, dry_run, job, mapped, run, uploaded
from tests.lgpd.support import EMAIL, ERASE, NAME, OTHER_ROW, PHONE, PHONE_WRITTEN, dump, found
from tests.partners.test_rdstation import configure, rd_lead

REASON = "Solicitação do titular, protocolo 2026-0077"
ERASED_MESSAGE = (
    "Os dados pessoais desta linha foram apagados a pedido do titular (LGPD): ela não é importada."
)


async def _validated_import(gql, token) -> tuple[str, int]:
    """A CSV naming the subject (row 2) and someone else (row 3), dry run done."""
    rows = [[NAME, EMAIL, PHONE_WRITTEN, "Feirão"], OTHER_ROW]
    job_id = (await uploaded(gql, token, csv_bytes(rows)))["id"]
    await mapped(gql, token, job_id)
    checked = await dry_run(gql, token, job_id)
    assert checked["dryRun"] == {"valid": 2, "invalid": 0, "toCreate": 1, "toUpdate": 0, "toSkip": 1}
    return job_id, decode_id(job_id)[1]


async def _erase(gql, token, contact_id) -> None:
    data = await gql.ok(ERASE, {"id": contact_id, "reason": REASON}, token=token)
    assert data["eraseContact"]["userErrors"] == [], data


def _refused_as_erased(done: dict) -> None:
    [error] = done["rowErrors"]
    assert (error["row"], error["values"]) == (2, [REMOVED] * 4)
    assert [(p["code"], p["field"], p["message"]) for p in error["problems"]] == [
        ("ERASED", "row", ERASED_MESSAGE)
    ]


async def test_an_import_not_yet_run_refuses_the_erased_persons_row(gql, workspace):
    # given a validated import whose row 2 is the contact (a duplicate, to skip)
    token = workspace.token
    contact = await create_contact(gql, token, name=NAME, email=EMAIL, phone=PHONE)
    job_id, _ = await _validated_import(gql, token)
    # when the contact is erased before the import runs
    await _erase(gql, token, contact["id"])
    # then the import refuses the row instead of creating the person again
    done = await run(gql, token, job_id)
    assert (done["createdCount"], done["skippedCount"], done["failedCount"]) == (1, 0, 1)
    _refused_as_erased(done)
    assert not await Contact.filter(email=EMAIL).exists()
    assert await Contact.filter(email=OTHER_ROW[1]).count() == 1
    # and nothing of the person is left
    assert found(await dump()) == []


async def test_a_batch_that_read_its_rows_before_the_erasure_refuses_the_row(
    gql, server, workspace, monkeypatch
):
    # given a validated import of the contact, run here (not by the worker)
    token = workspace.token
    contact = await create_contact(gql, token, name=NAME, email=EMAIL, phone=PHONE)
    job_id, pk = await _validated_import(gql, token)
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    # when the contact is erased after the run read the chunk, before its batch
    read = runner._chunk_after

    async def read_then_erased(job_pk, cursor):
        chunk = await read(job_pk, cursor)
        if chunk is not None and cursor == 0:
            await _erase(gql, token, contact["id"])
        return chunk

    monkeypatch.setattr(runner, "_chunk_after", read_then_erased)
    await runner.run_job(server.settings, pk)
    # then the batch used the rows as stored now: the person is not created again
    done = await job(gql, token, job_id)
    assert (done["status"], done["createdCount"], done["failedCount"]) == ("COMPLETED", 1, 1)
    _refused_as_erased(done)
    assert not await Contact.filter(email=EMAIL).exists()
    [chunk] = await ImportChunk.all()
    assert chunk.rows == [[2, [REMOVED] * 4], [3, OTHER_ROW]]


async def test_a_conversion_not_captured_yet_is_not_captured_after_the_erasure(gql, server, workspace):
    # given the contact, and an RD Station conversion of it stored but not captured
    token = workspace.token
    await configure(gql, token)
    contact = await create_contact(gql, token, name=NAME, email=EMAIL, phone=PHONE)
    lead = rd_lead(email=EMAIL, name=NAME, mobile_phone=PHONE_WRITTEN)
    row = await MarketingConversion.create(
        workspace_id=(await Contact.get(email=EMAIL)).workspace_id,
        provider=rdstation.PROVIDER,
        dedupe_key=rdstation.dedupe_key(lead),
        payload=lead,
        received_at=datetime.now(UTC),
    )
    # when the contact is erased, and then the capture runs
    await _erase(gql, token, contact["id"])
    await rdstation.process(server.settings, row.id)
    # then nothing was captured: no contact has the e-mail again
    assert not await Contact.filter(email=EMAIL).exists()
    assert await Contact.all().count() == 1
    stored = await MarketingConversion.get(id=row.id)
    assert stored.processed_at is not None and stored.attempts == 0
    assert stored.error == "erased (LGPD) before it was captured"
    assert stored.dedupe_key == row.dedupe_key
    assert stored.payload["last_conversion"]["content"]["utm_campaign"] == "lancamento-jardins"
    assert found(await dump()) == []


def test_a_copy_is_the_persons_by_their_whole_e_mail_or_phone_as_written():
    keys = Keys({"ana@x.com"}, {"5511976543210", "11976543210"})
    theirs = ["Ana@X.com.", "<ana@x.com>", "email:ana@x.com", "(11) 97654-3210", "+55 11 97654-3210"]
    theirs += ["phone:+5511976543210", "11 97654-3210 / 11 3333-4444", {"leads": [{"phone": "11976543210"}]}]
    others = [
        "joana@x.com",
        "ana@x.com.br",
        "ana.maria@x.com",
        "(11) 9765",
        "119765432101",
        "2026-12-05T14:07",
    ]
    assert [v for v in theirs if not keys.names_any(v)] == []
    assert [v for v in others if keys.names_any(v)] == []
