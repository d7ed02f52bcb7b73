"""What the customer wrote, without what their mail client quoted: the
earlier message under an attribution line ("Em seg., 1 de dez. de 2026
às 10:00, Ana <ana@x> escreveu:", "On ... wrote:"), Outlook's header
block or "-----Mensagem original-----", "> " quoted lines, and the
signature after "-- " (and "Enviado do meu iPhone"). The full text stays
in the stored source; when stripping would leave nothing, nothing is
stripped."""

from __future__ import annotations

import re

# An attribution line, which clients wrap over up to three lines.
ATTRIBUTION = re.compile(
    r"^\s*(em|on|le|el|am)\s.{0,400}?\s(escreveu|wrote|a écrit|escribió|schrieb)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
SEPARATORS = re.compile(
    r"^\s*(-{2,}\s*(mensagem original|original message|mensagem encaminhada|forwarded message)\s*-{2,}"
    r"|_{20,})\s*$",
    re.IGNORECASE,
)
# Outlook's quoted header: "De:"/"From:" then, within a few lines, the date.
HEADER_FROM = re.compile(r"^\s*\*?(de|from)\s*:\*?\s", re.IGNORECASE)
HEADER_DATE = re.compile(r"^\s*\*?(enviado|enviada em|sent|date|data)\s*:\*?\s", re.IGNORECASE)
SIGNATURE = re.compile(r"^-- ?$")
MOBILE = re.compile(r"^\s*(enviado|enviada|sent)\s+(do|de|from)\s+(meu|my)\s+\S.{0,40}$", re.IGNORECASE)


def _quote_starts(lines: list[str], index: int) -> bool:
    line = lines[index]
    if SEPARATORS.match(line):
        return True
    if HEADER_FROM.match(line) and any(HEADER_DATE.match(n) for n in lines[index + 1 : index + 4]):
        return True
    return any(
        ATTRIBUTION.match(" ".join(lines[index : index + span])) for span in (1, 2, 3) if lines[index].strip()
    )


def strip_quoted(text: str) -> str:
    """The new part of a reply (see the module's rules)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if SIGNATURE.match(line) or _quote_starts(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    while kept and (not kept[-1].strip() or MOBILE.match(kept[-1])):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()
