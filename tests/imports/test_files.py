"""Uploading: UTF-8 (with and without BOM) and Windows-1252 detected,
`;` or `,` sniffed, quoted cells with separators and line breaks, blank
lines skipped, the limits, and who may upload."""

from __future__ import annotations

import pytest

from revgraph.resolvers.imports import files
from tests.imports.support import contacts, csv_bytes, imported, upload, uploaded

ROWS = [["José Conceição", "jose@example.com", "11 98765-4321", "Feirão São Paulo"]]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected"),
    [
        ("utf-8", ";", "utf-8"),
        ("utf-8-sig", ";", "utf-8"),
        ("utf-8-sig", ",", "utf-8"),
        ("cp1252", ";", "windows-1252"),
        ("cp1252", ",", "windows-1252"),
    ],
)
async def test_encodings_and_separators_are_detected(gql, workspace, encoding, delimiter, expected):
    # given a spreadsheet export with accents in each encoding and separator
    content = csv_bytes(ROWS, delimiter=delimiter, encoding=encoding)
    # when it is uploaded and imported
    job = await uploaded(gql, workspace.token, content)
    assert (job["encoding"], job["delimiter"], job["rowCount"]) == (expected, delimiter, 1)
    assert job["columns"] == ["Nome", "E-mail", "Telefone", "Origem"]
    # then the text reads as written
    from tests.imports.support import dry_run, mapped, run

    await mapped(gql, workspace.token, job["id"])
    await dry_run(gql, workspace.token, job["id"])
    done = await run(gql, workspace.token, job["id"])
    assert done["createdCount"] == 1
    [contact] = await contacts(gql, workspace.token)
    assert (contact["name"], contact["source"], contact["phone"]) == (
        "José Conceição",
        "Feirão São Paulo",
        "+5511987654321",
    )


async def test_quoted_cells_blank_lines_and_row_numbers(gql, workspace):
    # given quoted cells holding the separator and a line break (in a column
    # left unmapped), a blank line and a line of empty cells
    content = (
        b'Nome;E-mail;Telefone;Origem;Obs\r\n"Silva; Ana";ana@example.com;;site;"Linha 1\nLinha 2"\r\n'
        b"\r\n;;;;\r\nBeto;beto@example;;site;\r\n"
    )
    # when it is imported
    job = await imported(gql, workspace.token, content)
    # then two data rows were read; the bad e-mail is reported on its spreadsheet row
    assert (job["rowCount"], job["createdCount"], job["failedCount"]) == (2, 1, 1)
    assert [e["row"] for e in job["rowErrors"]] == [5]
    [contact] = await contacts(gql, workspace.token)
    assert contact["name"] == "Silva; Ana"


async def test_upload_is_refused_without_an_admin_token(gql, workspace):
    agent = await workspace.user("AGENT")
    manager = await workspace.user("MANAGER")
    content = csv_bytes(ROWS)
    assert (await upload(gql, None, content)).status_code == 401
    assert (await upload(gql, "not-a-token", content)).status_code == 401
    for user in (agent, manager):
        response = await upload(gql, user["token"], content)
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # nothing was stored
    from revgraph.models.imports import ImportJob

    assert await ImportJob.all().count() == 0


async def test_bad_files_are_refused_with_a_reason(gql, workspace):
    cases = {
        b"": "INVALID",
        b"Nome;Nome\r\na;b\r\n": "INVALID",
        b"Nome;E-mail\r\n": "INVALID",
        # 0x81 is undefined in Windows-1252 and invalid UTF-8
        b"Nome\r\n\x81\x81\r\n": "INVALID",
    }
    for content, code in cases.items():
        response = await upload(gql, workspace.token, content)
        assert response.status_code == 400, (content, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == code
    assert (await upload(gql, workspace.token, b"x", entity="PLANET")).status_code == 400
    from revgraph.models.imports import ImportChunk, ImportJob

    assert await ImportJob.all().count() == 0
    assert await ImportChunk.all().count() == 0


async def test_row_and_size_limits(gql, workspace, monkeypatch):
    # given small limits (the real ones are 200,000 rows and 50 MB)
    monkeypatch.setattr(files, "MAX_ROWS", 3)
    content = csv_bytes([[f"P{i}", f"p{i}@example.com", "", ""] for i in range(4)])
    response = await upload(gql, workspace.token, content)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    import revgraph.web.imports as web_imports

    monkeypatch.setattr(web_imports, "MAX_FILE_BYTES", 1024)
    monkeypatch.setattr(web_imports, "_ENVELOPE_BYTES", 0)
    big = csv_bytes([[f"P{i}", f"p{i}@example.com", "", ""] for i in range(200)])
    response = await upload(gql, workspace.token, big)
    assert response.status_code == 413
    from revgraph.models.imports import ImportJob

    assert await ImportJob.all().count() == 0
