"""Choosing who gets the next lead. Pure functions over a snapshot of the
queue, so the choice is deterministic, testable, and explainable: each one
returns the winner, the state to persist, and a reason in words: a Message
(resolvers/i18n.py), stored as such in Assignment.reason and read in each
reader's language. Strategy and mode names stay the API's own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from revgraph.resolvers.i18n import N_, Listing, Message, Moment


@dataclass
class Candidate:
    member_id: int
    user_id: int
    name: str
    position: int
    weight: int
    capacity: int | None
    active: bool
    online: bool
    open_leads: int
    current_weight: int = 0
    last_assigned_at: datetime | None = None
    # Why this member may not take this lead whatever their state (e.g. the
    # owner it is being taken from), or None.
    excluded: str | Message | None = None


@dataclass
class Choice:
    winner: Candidate | None
    reason: Message
    # WEIGHTED: new current_weight per member id.
    weights: dict[int, int] = field(default_factory=dict)
    skipped: list[tuple[Candidate, str | Message]] = field(default_factory=list)


def why_not(candidate: Candidate, mode: str) -> str | Message | None:
    """Why a member cannot take a lead now, or None if they can."""
    if candidate.excluded is not None:
        return candidate.excluded
    if not candidate.active:
        return N_("inactive")
    if mode == "ONLINE" and not candidate.online:
        return N_("offline")
    if candidate.capacity is not None and candidate.open_leads >= candidate.capacity:
        return N_("at capacity {open}/{capacity}", open=candidate.open_leads, capacity=candidate.capacity)
    return None


def _skipped_text(skipped: list[tuple[Candidate, str | Message]]) -> Message:
    if not skipped:
        return N_("Nobody skipped.")
    return N_(
        "Skipped: {skipped}.",
        skipped=Listing(N_("{name} ({why})", name=c.name, why=why) for c, why in skipped),
    )


def choose(strategy: str, mode: str, members: list[Candidate], pointer_position: int | None) -> Choice:
    """Pick the member for the next lead; `pointer_position` is the position
    of the member who got the previous one (ROUND_ROBIN)."""
    ordered = sorted(members, key=lambda c: (c.position, c.member_id))
    skipped = [(c, why) for c in ordered if (why := why_not(c, mode)) is not None]
    eligible = [c for c in ordered if why_not(c, mode) is None]
    if not eligible:
        reason = N_(
            "{strategy} in {mode} mode: nobody eligible, the lead waits in the backlog. {skipped}",
            strategy=strategy,
            mode=mode,
            skipped=_skipped_text(skipped),
        )
        return Choice(None, reason, skipped=skipped)
    if strategy == "ROUND_ROBIN":
        return _round_robin(eligible, skipped, pointer_position)
    if strategy == "WEIGHTED":
        return _weighted(eligible, skipped)
    if strategy == "LEAST_LOADED":
        return _least_loaded(eligible, skipped)
    raise ValueError(f"unknown strategy {strategy}")


def _round_robin(
    eligible: list[Candidate], skipped: list[tuple[Candidate, str | Message]], pointer_position: int | None
) -> Choice:
    """The first eligible member after the one who got the last lead, in
    position order (wrapping). Positions are stable, so adding or removing
    a member never reshuffles anyone else's turn."""
    if pointer_position is None:
        winner = eligible[0]
        pointer_text = N_("no previous assignment")
    else:
        after = [c for c in eligible if c.position > pointer_position]
        winner = after[0] if after else eligible[0]
        pointer_text = N_("pointer after position {position}", position=pointer_position)
    reason = N_(
        "ROUND_ROBIN: {pointer}; next in turn is {name} (position {position}). {skipped}",
        pointer=pointer_text,
        name=winner.name,
        position=winner.position,
        skipped=_skipped_text(skipped),
    )
    return Choice(winner, reason, skipped=skipped)


def _weighted(eligible: list[Candidate], skipped: list[tuple[Candidate, str | Message]]) -> Choice:
    """Smooth weighted round-robin: every eligible member's current weight
    grows by its weight, the highest takes the lead (ties: lower position)
    and pays back the total. Over any sum(weights) consecutive picks each
    member gets exactly its weight, spread evenly."""
    total = sum(c.weight for c in eligible)
    raised = {c.member_id: c.current_weight + c.weight for c in eligible}
    winner = max(eligible, key=lambda c: (raised[c.member_id], -c.position, -c.member_id))
    weights = dict(raised)
    weights[winner.member_id] -= total
    standing = Listing(f"{c.name} w={c.weight} cw={raised[c.member_id]}" for c in eligible)
    reason = N_(
        "WEIGHTED (smooth weighted round-robin, total weight {total}): {standing}; highest is {name}. {skipped}",
        total=total,
        standing=standing,
        name=winner.name,
        skipped=_skipped_text(skipped),
    )
    return Choice(winner, reason, weights=weights, skipped=skipped)


def _least_loaded(eligible: list[Candidate], skipped: list[tuple[Candidate, str | Message]]) -> Choice:
    """Fewest open assigned leads; ties go to whoever waited longest since
    their last assignment (never assigned = longest), then position."""

    def waited(c: Candidate) -> float:
        return c.last_assigned_at.timestamp() if c.last_assigned_at else float("-inf")

    winner = min(eligible, key=lambda c: (c.open_leads, waited(c), c.position, c.member_id))
    loads = Listing(
        N_(
            "{name} {open} open (last lead {last})",
            name=c.name,
            open=c.open_leads,
            last=Moment(c.last_assigned_at) if c.last_assigned_at else N_("never"),
        )
        for c in eligible
    )
    reason = N_(
        "LEAST_LOADED: {loads}; fewest open leads is {name}. {skipped}",
        loads=loads,
        name=winner.name,
        skipped=_skipped_text(skipped),
    )
    return Choice(winner, reason, skipped=skipped)
