"""The trash: soft-deleted records are purged once they have been there
longer than their workspace's retention (default 30 days).

Purging is the LGPD erasure: the row goes, and so does what the event log
said about it. The events stay (sequences, counts and the funnel keep their
shape), but their summaries and details, which carry names, e-mails, phones
and note text, are replaced by a neutral line."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model

from revgraph.models.crm import Company, Contact
from revgraph.models.events import Event
from revgraph.models.identity import Workspace
from revgraph.models.pipeline import Deal
from revgraph.resolvers.events import unit_of_work

# What the purge destroys, in order, each with the condition (beyond being
# trashed past the retention) a row must also meet. A merged duplicate is
# kept while its primary exists: it is how the primary's timeline finds the
# duplicate's history. Deleting the primary unlinks it (SET NULL), and the
# next pass takes it. Append models (e.g. deals) here.
PURGEABLE: list[tuple[type[Model], Q]] = [
    # Deals first: their stage transitions and tasks go with them.
    (Deal, Q()),
    (Contact, Q(merged_into_id__isnull=True)),
    (Company, Q()),
]
MAX_PASSES = 5
BATCH = 500
# The event column naming each purgeable model's subject.
SUBJECT_COLUMN = {Deal: "deal_id", Contact: "contact_id", Company: "company_id"}
REDACTED = "Removed: the record passed the trash retention and was destroyed."


async def purge_expired_trash(now: datetime | None = None) -> dict[str, int]:
    """Destroy every trashed record older than its workspace's retention;
    returns how many rows of each model went. Idempotent: a second run at
    the same `now` destroys nothing."""
    now = now or datetime.now(UTC)
    by_retention: dict[int, list[int]] = defaultdict(list)
    for workspace_id, days in await Workspace.all().values_list("id", "trash_retention_days"):
        by_retention[days].append(workspace_id)
    purged: dict[str, int] = defaultdict(int)
    for _ in range(MAX_PASSES):
        this_pass = 0
        for model, condition in PURGEABLE:
            for days, workspace_ids in by_retention.items():
                cutoff = now - timedelta(days=days)
                expired = await model.filter(
                    condition, workspace_id__in=workspace_ids, deleted_at__lt=cutoff
                ).values_list("id", flat=True)
                # By id, so the count is of these rows only (SQLite's delete
                # count includes cascaded tasks and notes), in bounded batches.
                for start in range(0, len(expired), BATCH):
                    batch = expired[start : start + BATCH]
                    async with unit_of_work():
                        await Event.filter(**{f"{SUBJECT_COLUMN[model]}__in": batch}).update(
                            summary=REDACTED, data={"redacted": True}
                        )
                        await model.filter(id__in=batch).delete()
                purged[model.__name__] += len(expired)
                this_pass += len(expired)
        if not this_pass:
            break
    return dict(purged)


def trash_summary(purged: dict[str, Any]) -> str:
    return ", ".join(f"{count} {name.lower()}(s)" for name, count in purged.items() if count) or "nothing"
