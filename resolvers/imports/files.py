"""Reading an uploaded CSV as Brazilian spreadsheets export it: UTF-8 (with
or without BOM) or else Windows-1252, `;` or `,` between cells. The file is
read in pieces from a (spooled) file object, so memory stays flat in its
size; rows are handed out in chunks for storage."""

from __future__ import annotations

import codecs
import csv
import io
from typing import BinaryIO

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
CHUNK_ROWS = 500
MAX_COLUMNS = 200
_PIECE = 64 * 1024


def detect_encoding(file: BinaryIO) -> str:
    """ "utf-8-sig" when the whole file decodes as UTF-8 (a BOM is dropped),
    else "cp1252" (Excel's "CSV" on Windows in Brazil); neither: INVALID."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while piece := file.read(_PIECE):
            decoder.decode(piece)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    file.seek(0)
    decoder = codecs.getincrementaldecoder("cp1252")()
    try:
        while piece := file.read(_PIECE):
            decoder.decode(piece)
    except UnicodeDecodeError as exc:
        raise DomainError(
            "INVALID", _("The file is neither UTF-8 nor Windows-1252 text: export it as CSV again."), ["file"]
        ) from exc
    return "cp1252"


def sniff_delimiter(sample: str) -> str:
    """`;` or `,`: whichever splits the header line into more cells
    (quotes respected); `;` on a tie, as Excel pt-BR writes it."""
    header = sample.splitlines()[0] if sample else ""
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in (";", ",")}
    return ";" if counts[";"] >= counts[","] else ","


class CsvFile:
    """An uploaded file opened for reading: its encoding, delimiter and
    header, then its data rows in chunks (blank lines skipped)."""

    def __init__(self, file: BinaryIO) -> None:
        self.encoding = detect_encoding(file)
        file.seek(0)
        self.text = io.TextIOWrapper(file, encoding=self.encoding, newline="")
        sample = self.text.read(_PIECE)
        self.delimiter = sniff_delimiter(sample)
        self.text.seek(0)
        self.reader = csv.reader(self.text, delimiter=self.delimiter)
        self.columns = self._header()
        self.rows_read = 0
        # The spreadsheet row of the next data row (the header is row 1).
        self.next_row = 2

    def _header(self) -> list[str]:
        try:
            header = next(self.reader)
        except StopIteration:
            raise DomainError(
                "INVALID", _("The file is empty: the first line must name the columns."), ["file"]
            ) from None
        except csv.Error as exc:
            raise DomainError(
                "INVALID", _("The first line cannot be read as CSV: {exc}.", exc=exc), ["file"]
            ) from exc
        columns = [cell.strip() for cell in header]
        if not any(columns):
            raise DomainError("INVALID", _("The first line must name the columns."), ["file"])
        if len(columns) > MAX_COLUMNS:
            raise DomainError(
                "INVALID", _("A file has at most {MAX_COLUMNS} columns.", MAX_COLUMNS=MAX_COLUMNS), ["file"]
            )
        seen: set[str] = set()
        for column in columns:
            if column and column in seen:
                raise DomainError(
                    "INVALID",
                    _("The column {column!r} appears twice in the header.", column=column),
                    ["file"],
                )
            seen.add(column)
        return columns

    def next_chunk(self) -> list[tuple[int, list[str]]] | None:
        """Up to CHUNK_ROWS data rows, each with its spreadsheet row."""
        rows: list[tuple[int, list[str]]] = []
        while len(rows) < CHUNK_ROWS:
            try:
                row = next(self.reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise DomainError(
                    "INVALID",
                    _(
                        "Row {reader_line_num} cannot be read as CSV: {exc}.",
                        reader_line_num=self.reader.line_num,
                        exc=exc,
                    ),
                    ["file"],
                ) from exc
            number = self.next_row
            self.next_row += 1
            if not any(cell.strip() for cell in row):
                continue
            self.rows_read += 1
            if self.rows_read > MAX_ROWS:
                raise DomainError(
                    "LIMIT_EXCEEDED",
                    _("A file has at most {MAX_ROWS:,} data rows.", MAX_ROWS=MAX_ROWS),
                    ["file"],
                )
            rows.append((number, row))
        return rows or None
