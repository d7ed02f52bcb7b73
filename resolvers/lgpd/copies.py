"""Copies of a data subject kept beside the CRM's records, as they came
in: RD Station Marketing's lead payloads (`marketing_conversion`) and CSV
imports (the uploaded rows in `import_chunk`, the refused rows in
`import_row_error` that the downloadable error report is made of, the
dry run's duplicate keys in `import_file_key`, a job's failure text).

Such a copy is the subject's when it holds one of their e-mails or phones
(a phone as any spreadsheet writes it: its digits); a name alone is not
enough (a namesake's row is someone else's). The copy keeps its row, its
place and its counts; what named the person goes:

- a conversion keeps only its marketing facts (conversion, when, source,
  medium, campaign, UTM: rdstation.anonymised) and its `dedupe_key` (so
  RD Station sending the webhook again stores nothing and creates no one);
  one not captured yet is marked done, so the person is not created again;
- an uploaded row keeps its spreadsheet row and its blank cells, every
  other cell becomes `[removido]`: the file's other rows stay as they were,
  and an import that has not reached the row yet refuses it (ERASED) instead
  of creating the person again (resolvers/imports/runner.py);
- a refused row's cells likewise, and its problems' messages lose the
  identifiers and the row's own cells; the dry run's keys naming the person
  are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from revgraph.models.crm import Contact
from revgraph.models.imports import ImportChunk, ImportFileKey, ImportJob, ImportRowError
from revgraph.models.partners import MarketingConversion
from revgraph.models.webchat import WebchatVisitor
from revgraph.resolvers.imports.runner import PHASES
from revgraph.resolvers.lgpd.redaction import Redactor, phone_forms
from revgraph.resolvers.lgpd.subject import REMOVED, Subject
from revgraph.resolvers.partners import rdstation

# What a conversion not captured before the erasure keeps as why.
NOT_CAPTURED = "erased (LGPD) before it was captured"
# Phones shorter than this (in digits) would match unrelated numbers.
MIN_PHONE_DIGITS = 8
PAGE = 500


# A phone as people write it: digits with spaces, dots, dashes, brackets.
PHONE_RUN = re.compile(r"\+?\d[\d\s().-]{6,}\d")


@dataclass
class Keys:
    """The subject's e-mails (lower-case) and phones (digit forms: E.164
    without "+", and national). An e-mail matches as a whole address
    ("ana@x.com" is not in "joana@x.com" nor "ana@x.com.br"), a phone as a
    whole number written any way ("(11) 97654-3210", "+55 11 97654-3210")."""

    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)

    @cached_property
    def _email(self) -> re.Pattern[str] | None:
        if not self.emails:
            return None
        alternatives = "|".join(re.escape(e) for e in sorted(self.emails, key=len, reverse=True))
        return re.compile(rf"(?<![\w.%+-])(?:{alternatives})(?![\w-]|\.\w)", re.IGNORECASE)

    def names(self, text: Any) -> bool:
        if not isinstance(text, str) or not text.strip():
            return False
        if self._email is not None and self._email.search(text):
            return True
        return any(re.sub(r"\D", "", run) in self.phones for run in PHONE_RUN.findall(text))

    def names_any(self, value: Any) -> bool:
        """Whether any string of a JSON value (cells, a payload) names them."""
        if isinstance(value, dict):
            return any(self.names_any(v) for v in value.values())
        if isinstance(value, list):
            return any(self.names_any(v) for v in value)
        return self.names(value)


async def subject_keys(subject: Subject) -> Keys:
    """Read before the contacts are cleared."""
    keys = Keys()
    rows = await Contact.filter(id__in=subject.contact_ids).values_list("email", "phone", "phone_digits")
    visitors = await WebchatVisitor.filter(contact_id__in=subject.contact_ids).values_list("email", flat=True)
    for email, phone, digits in rows:
        keys.emails.update(e.strip().lower() for e in (email,) if e and e.strip())
        for form in [*phone_forms(phone), digits or ""]:
            form = re.sub(r"\D", "", form)
            if len(form) >= MIN_PHONE_DIGITS:
                keys.phones.add(form)
    keys.emails.update(e.strip().lower() for e in visitors if e and e.strip())
    return keys


async def lock_pending(workspace_id: int) -> None:
    """Take, before the contact, the locks the work that could bring the
    person back takes first: the workspace's imports in a phase (a batch
    locks its job, then writes contacts) and its conversions not captured
    yet (a capture locks its row, then writes the contact). A batch or a
    capture under way finishes before the erasure looks; one after it finds
    the rows erased."""
    await ImportJob.filter(workspace_id=workspace_id, status__in=list(PHASES)).select_for_update()
    await MarketingConversion.filter(workspace_id=workspace_id, processed_at=None).select_for_update()


def erased_cells(cells: Iterable[Any]) -> list[Any]:
    """A row's cells with every filled one replaced (blank ones stay)."""
    return [REMOVED if isinstance(c, str) and c.strip() else c for c in cells]


async def erase_conversions(subject: Subject, keys: Keys, redactor: Redactor, now: datetime) -> int:
    changed = 0
    after = 0
    while (
        page := await MarketingConversion.filter(workspace_id=subject.workspace_id, id__gt=after)
        .order_by("id")
        .limit(PAGE)
    ):
        after = page[-1].id
        for row in page:
            if not keys.names_any(row.payload):
                continue
            values: dict[str, Any] = {
                "payload": redactor.value(rdstation.anonymised(row.payload)),
                "error": redactor.text(row.error),
            }
            if row.processed_at is None:
                values.update(processed_at=now, error=NOT_CAPTURED)
            await MarketingConversion.filter(id=row.id).update(**values)
            changed += 1
    return changed


async def erase_imports(subject: Subject, keys: Keys, redactor: Redactor) -> dict[str, int]:
    counts = {"importRows": 0, "importRowErrors": 0, "importFileKeys": 0}
    for job_id, failure in await ImportJob.filter(workspace_id=subject.workspace_id).values_list(
        "id", "failure"
    ):
        if redactor.contains(failure):
            await ImportJob.filter(id=job_id).update(failure=redactor.text(failure))
        for chunk_id in await ImportChunk.filter(job_id=job_id).values_list("id", flat=True):
            chunk = await ImportChunk.get(id=chunk_id)
            rows = [
                [number, erased_cells(cells)] if keys.names_any(cells) else [number, cells]
                for number, cells in chunk.rows
            ]
            hit = sum(1 for old, new in zip(chunk.rows, rows, strict=True) if old[1] != new[1])
            if hit:
                await ImportChunk.filter(id=chunk_id).update(rows=rows)
                counts["importRows"] += hit
        for error in await ImportRowError.filter(job_id=job_id):
            if not keys.names_any(error.values):
                continue
            own = Redactor(c for c in error.values if isinstance(c, str))
            problems = [
                {**p, "message": own.text(redactor.text(p.get("message")))} if isinstance(p, dict) else p
                for p in error.problems
            ]
            await ImportRowError.filter(id=error.id).update(
                values=erased_cells(error.values), problems=problems
            )
            counts["importRowErrors"] += 1
        file_keys = await ImportFileKey.filter(job_id=job_id).values_list("id", "key")
        named = [pk for pk, key in file_keys if keys.names(key)]
        if named:
            counts["importFileKeys"] += await ImportFileKey.filter(id__in=named).delete()
    return counts
