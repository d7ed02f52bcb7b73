"""A conversation's SLA, kept with it: the clock's facts are appended as
they happen (`note`), the state, the earliest running deadline and the
next instant the state changes by itself are recomputed from them
(`refresh`, resolvers/inbox/sla_clock.py) and stored, so lists filter and
sort by them and the SLA timer (tasks/timers.py) finds, from the
database, the conversations whose WARNING or BREACHED is due."""

from __future__ import annotations

from datetime import UTC, datetime

from revgraph.models.inbox import Conversation, Inbox, SlaPolicy
from revgraph.resolvers.context import Actor
from revgraph.resolvers.inbox.business_hours import BusinessCalendar
from revgraph.resolvers.inbox.sla_clock import SlaComputation, SlaFact, SlaTargets, compute_sla
from revgraph.resolvers.inbox.stream import record_inbox_event, seen_of


def note(conversation: Conversation, kind: str, at: datetime) -> None:
    """Append a clock fact ("inbound", "reply", "snooze", "wake", "resolve", "reopen")."""
    conversation.sla_facts = [*(conversation.sla_facts or []), [at.isoformat(), kind]]


def facts_of(conversation: Conversation) -> list[SlaFact]:
    facts = [SlaFact(datetime.fromisoformat(at), kind) for at, kind in conversation.sla_facts or []]
    # Backfilled history may arrive out of order: the clock reads it in time order.
    return sorted(facts, key=lambda fact: fact.at)


async def policy_of(inbox_id: int) -> tuple[SlaPolicy | None, BusinessCalendar | None]:
    inbox = await Inbox.filter(id=inbox_id).first()
    if inbox is None or inbox.sla_policy_id is None:
        return None, None
    policy = await SlaPolicy.filter(id=inbox.sla_policy_id).first()
    calendar = BusinessCalendar.from_json(inbox.business_hours) if inbox.business_hours else None
    return policy, calendar


def targets_of(policy: SlaPolicy) -> SlaTargets:
    return SlaTargets(
        first_response_minutes=policy.first_response_minutes,
        next_response_minutes=policy.next_response_minutes,
        resolution_minutes=policy.resolution_minutes,
        business_hours_only=policy.business_hours_only,
        warn_before_minutes=policy.warn_before_minutes,
    )


async def computation(conversation: Conversation) -> tuple[SlaPolicy, SlaComputation] | None:
    """The conversation's SLA as of its facts, or None when its inbox has no policy."""
    policy, calendar = await policy_of(conversation.inbox_id)
    if policy is None:
        return None
    return policy, compute_sla(targets_of(policy), calendar, facts_of(conversation))


async def refresh(conversation: Conversation, now: datetime | None = None) -> bool:
    """Recompute the stored SLA columns (the caller saves the row); True
    when the state changed."""
    now = now or datetime.now(UTC)
    found = await computation(conversation)
    previous = conversation.sla_state
    if found is None:
        conversation.sla_state = conversation.sla_due_at = conversation.sla_next_check_at = None
        return previous is not None
    _, result = found
    conversation.sla_state = result.state(now)
    dues = [
        due
        for due in (result.first_response_due_at, result.next_response_due_at, result.resolution_due_at)
        if due is not None
    ]
    conversation.sla_due_at = min(dues) if dues else None
    conversation.sla_next_check_at = result.next_check_at(now)
    return conversation.sla_state != previous


async def record_change(actor: Actor | None, conversation: Conversation) -> None:
    """The SLA state moved with a message: a CONVERSATION_UPDATED event."""
    await record_inbox_event(
        actor,
        conversation,
        "conversation.sla_changed",
        f"Conversation #{conversation.number}: SLA {conversation.sla_state}",
        before=await seen_of(conversation),
        data={"slaState": conversation.sla_state},
    )
