"""How one value is written in a CSV cell, for people who open the file in a
spreadsheet in Portuguese — the same choices as the web app's dashboard CSV
(web/static/js/csv.js): UTF-8 with a byte-order mark (without it Excel reads
"Negociação" as "NegociaÃ§Ã£o"), CRLF lines, RFC 4180 quoting, numbers
without thousands separators or currency signs (so they stay numbers), and
with ";" between fields a decimal comma (what Excel pt-BR expects). Times
are written in São Paulo time, "31/12/2026 14:30", dates "31/12/2026".

A text cell that a spreadsheet would run as a formula (starting with =, +,
-, @, a tab or a carriage return) is written with a leading apostrophe: a
contact's name comes from public forms and channels (OWASP "CSV injection").
A signed number such as an E.164 phone ("+5511...") runs nothing and stays
as it is."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

BOM = "\ufeff"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
SEPARATORS = (",", ";")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SIGNED_NUMBER = re.compile(r"[+-][0-9][0-9 .,]*")
YES, NO = "Sim", "Não"


@dataclass(frozen=True)
class Dialect:
    """The file's separator; ";" brings the decimal comma with it."""

    separator: str = ","

    @property
    def decimal_comma(self) -> bool:
        return self.separator == ";"

    def cell(self, value: Any) -> str:
        """One value as the cell's text (None: empty)."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return YES if value else NO
        if isinstance(value, int):
            return str(value)
        if isinstance(value, (Decimal, float)):
            return self.number(value)
        if isinstance(value, datetime):
            return value.astimezone(SAO_PAULO).strftime("%d/%m/%Y %H:%M")
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        if isinstance(value, (list, tuple)):
            return self.text(", ".join(self.cell(item) for item in value))
        return self.text(str(value))

    def number(self, value: Decimal | float) -> str:
        # A Decimal keeps its places (money: "1250000.50", as csv.js writes it).
        text = format(value, "f") if isinstance(value, Decimal) else repr(value)
        return text.replace(".", ",") if self.decimal_comma else text

    @staticmethod
    def text(value: str) -> str:
        if value.startswith(FORMULA_STARTS) and not SIGNED_NUMBER.fullmatch(value):
            return "'" + value
        return value

    def lines(self, rows: Iterable[Sequence[str]]) -> str:
        """CSV text of rows of cell texts (CRLF, quoted where needed)."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.separator, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerows(rows)
        return out.getvalue()
