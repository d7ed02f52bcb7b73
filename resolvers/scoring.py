"""Lead scoring: points added to (or taken from) a contact's score, as
scoring rules do it (the automation action `adjustScore`). Each change is a
`contact.score_changed` event with from/to/by, so other rules can start on it
("when the score changes and score >= 50, hand the lead to a closer")."""

from __future__ import annotations

from revgraph.models.crm import Contact
from revgraph.resolvers.contacts import find_contact
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ownership import actor_name

MAX_POINTS = 1000
# Scores stay within what the column and a person reading them can take.
MIN_SCORE, MAX_SCORE = -1_000_000, 1_000_000


def check_points(points: object, field: list[str]) -> int:
    if not isinstance(points, int) or isinstance(points, bool) or points == 0 or abs(points) > MAX_POINTS:
        raise DomainError(
            "INVALID",
            _("points is a whole number from -{MAX_POINTS} to {MAX_POINTS}, not 0.", MAX_POINTS=MAX_POINTS),
            field,
        )
    return points


async def adjust_score(ctx: Context, contact_id: str, points: int) -> tuple[int, int]:
    """Add `points` to a visible contact's score; returns (from, to). The row
    is locked, so concurrent adjustments add up."""
    actor = ctx.require_actor()
    check_points(points, ["points"])
    contact = await find_contact(ctx, contact_id, ["contactId"])
    async with unit_of_work():
        locked = await Contact.filter(id=contact.id).select_for_update().get()
        before = locked.score
        after = max(MIN_SCORE, min(MAX_SCORE, before + points))
        if after == before:
            return before, after
        locked.score = after
        await locked.save(update_fields=["score"])
        await record_event(
            actor,
            actor.workspace_id,
            "contact.score_changed",
            N_(
                "{actor} changed the score of {locked}: {before} → {after} ({points:+d})",
                actor=await actor_name(ctx),
                locked=locked.name,
                before=before,
                after=after,
                points=points,
            ),
            data={"from": before, "to": after, "by": points},
            contact_id=locked.id,
        )
    return before, after
