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
from revgraph.resolvers.events import log_changed, unit_of_work
from revgraph.resolvers.i18n import N_
from revgraph.resolvers.inbox.business_hours import BusinessCalendar
from revgraph.resolvers.inbox.sla_clock import SlaComputation, SlaFact, SlaTargets, compute_sla
from revgraph.resolvers.inbox.stream import inbox_of, record_inbox_event, seen_of
from revgraph.resolvers.settings import Settings


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
    inbox = await inbox_of(conversation)
    if inbox.sla_policy_id is None:
        return None
    policy = getattr(conversation, "_sla_policy", None)
    if policy is None or policy.id != inbox.sla_policy_id:
        policy = await SlaPolicy.get(id=inbox.sla_policy_id)
        conversation._sla_policy = policy  # type: ignore[attr-defined]
    calendar = BusinessCalendar.from_json(inbox.business_hours) if inbox.business_hours else None
    return policy, computed(conversation, policy, calendar)


def computed(
    conversation: Conversation, policy: SlaPolicy, calendar: BusinessCalendar | None
) -> SlaComputation:
    """The SLA of `conversation` under a policy and calendar already read
    (lists read them once per inbox, not once per conversation)."""
    return compute_sla(targets_of(policy), calendar, facts_of(conversation))


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
    upcoming = result.next_check_at(now)
    overdue = conversation.sla_next_check_at
    if overdue is not None and overdue <= now and (upcoming is None or overdue < upcoming):
        # A check the timer has not run yet stays due, so what fell due
        # meanwhile is still recorded (check_due) though a fact came first.
        upcoming = overdue
    conversation.sla_next_check_at = upcoming
    return conversation.sla_state != previous


async def record_change(actor: Actor | None, conversation: Conversation) -> None:
    """The SLA state moved with a message: a CONVERSATION_UPDATED event."""
    await record_inbox_event(
        actor,
        conversation,
        "conversation.sla_changed",
        N_(
            "Conversation #{conversation_number}: SLA {conversation_sla_state}",
            conversation_number=conversation.number,
            conversation_sla_state=conversation.sla_state,
        ),
        before=await seen_of(conversation),
        data={"slaState": conversation.sla_state},
    )


async def check_due(settings: Settings, now: datetime | None = None, limit: int = 500) -> int:
    """The SLA timer: for each conversation whose next check is due, record
    each WARNING and BREACHED transition that fell due since that check,
    once (its key goes into `sla_recorded`), as a `conversation.sla_warning`
    / `conversation.sla_breached` stream event, then store the new state
    and the next check. Each conversation is its own transaction with its
    row locked. Returns how many events were recorded.

    A transition already past when the facts revealing it were stored
    (backfilled history) is no timer event: the message that stored them
    shows the state."""
    now = now or datetime.now(UTC)
    ids = (
        await Conversation.filter(sla_next_check_at__lte=now)
        .order_by("sla_next_check_at", "id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    recorded = 0
    for conversation_id in ids:
        async with unit_of_work():
            conversation = (
                await Conversation.filter(id=conversation_id, sla_next_check_at__lte=now)
                .select_for_update()
                .first()
            )
            if conversation is None:
                continue  # another timer took it, or a new fact moved the check
            recorded += await _record_due(conversation, now)
    return recorded


async def _record_due(conversation: Conversation, now: datetime) -> int:
    since = conversation.sla_next_check_at
    found = await computation(conversation)
    done = {tuple(key) for key in conversation.sla_recorded or []}
    due = [
        transition
        for transition in (found[1].transitions_by(now) if found else [])
        if since is not None and transition.at >= since and transition.key not in done
    ]
    # The check is being run: refresh sets the next one from now.
    conversation.sla_next_check_at = None
    if await refresh(conversation, now) and not due:
        # A state reports read, stored with no event of its own.
        log_changed(conversation.workspace_id)
    if due:
        conversation.sla_recorded = [*(conversation.sla_recorded or []), *(list(t.key) for t in due)]
    await conversation.save()
    for transition in due:
        target, index, kind = transition.key
        await record_inbox_event(
            None,
            conversation,
            f"conversation.sla_{kind}",
            N_(
                "Conversation #{conversation_number}: SLA {replace} {kind}",
                conversation_number=conversation.number,
                replace=target.replace("_", " "),
                kind=kind,
            ),
            before=await seen_of(conversation),
            data={
                "slaState": conversation.sla_state,
                "transition": kind,
                "target": target,
                "index": index,
                "at": transition.at.isoformat(),
            },
            actor_label="sla",
        )
    return len(due)
