"""The append-only event log (the spine) and the unit of work around it.

Every mutation runs inside `unit_of_work`: its changes and the events that
describe them commit together, and only after the commit are the events
handed to the bus (publish + task dispatch). A rollback publishes nothing.
Its last statement moves the log position of the workspaces it recorded
events in (resolvers/log_position.py), so cached report answers see it."""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from tortoise.transactions import in_transaction

from revgraph.models.events import Event
from revgraph.models.identity import Workspace
from revgraph.resolvers import log_position
from revgraph.resolvers.bulk_insert import insert_returning_ids
from revgraph.resolvers.context import Actor
from revgraph.resolvers.events.writes import writing
from revgraph.resolvers.i18n import DEFAULT_LOCALE, Message, rendered

_pending: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar(
    "revgraph_pending", default=None
)
# Set while an automation run executes: every event recorded under it says
# which rule, run and chain depth caused it (loop protection reads it back).
# Workspaces whose position moves though no event was recorded (log_changed).
_changed: contextvars.ContextVar[dict[int, set[str]] | None] = contextvars.ContextVar(
    "revgraph_changed", default=None
)
_automation: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "revgraph_automation", default=None
)
# The default language of the workspaces the unit of work recorded events in.
_locales: contextvars.ContextVar[dict[int, str] | None] = contextvars.ContextVar(
    "revgraph_event_locales", default=None
)
# Where an event keeps the message its summary renders from (never shown in
# `data`): events are stored once and read in each reader's language.
SUMMARY_MESSAGE = "summaryMessage"


@contextmanager
def caused_by_automation(rule_id: int, run_id: int, depth: int) -> Iterator[None]:
    """Tag the events recorded inside with `data.automation = {ruleId, runId, depth}`."""
    token = _automation.set({"ruleId": rule_id, "runId": run_id, "depth": depth})
    try:
        yield
    finally:
        _automation.reset(token)


def in_unit_of_work() -> bool:
    """Whether the caller runs inside a unit of work (its transaction open)."""
    return _pending.get() is not None


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[None]:
    """One transaction; the events recorded inside are dispatched after commit."""
    outer = _pending.get()
    if outer is not None:
        # Nested use case: join the caller's transaction and dispatch list.
        yield
        return
    # In flight until dispatched: report computations wait for it (writes.py).
    with writing():
        pending: list[Event] = []
        changed: dict[int, set[str]] = {}
        token, changed_token = _pending.set(pending), _changed.set(changed)
        locales_token = _locales.set({})
        try:
            async with in_transaction():
                yield
                if pending or changed:
                    for event in pending:
                        changed.setdefault(event.workspace_id, set()).update(
                            log_position.with_owned_topics(
                                log_position.topics_of(event.kind, event.data), event.data
                            )
                        )
                    # Last, so the counters' row locks are held only for the commit.
                    await log_position.advance(changed)
        finally:
            _pending.reset(token)
            _changed.reset(changed_token)
            _locales.reset(locales_token)
        if pending:
            from revgraph.resolvers.events.bus import dispatch_after_commit

            await dispatch_after_commit(pending)


def log_changed(workspace_id: int, topics: Iterable[str] = log_position.TOPICS) -> None:
    """The current unit of work changes what reports read in the workspace
    (of `topics`, all by default) without recording an event: its commit
    moves the log position anyway."""
    changed = _changed.get()
    if changed is None:
        raise RuntimeError("log_changed must run inside unit_of_work()")
    # No owner accounts for such a change: it moves the owners' topics' `@*`.
    changed.setdefault(workspace_id, set()).update(log_position.with_owned_topics(list(topics)))


async def record_event(
    actor: Actor | None,
    workspace_id: int,
    kind: str,
    summary: str | Message,
    *,
    data: dict[str, Any] | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
    deal_id: int | None = None,
    pipeline_id: int | None = None,
    queue_id: int | None = None,
    board_sequence: int | None = None,
    actor_label: str | None = None,
    development_id: int | None = None,
    conversation_id: int | None = None,
    inbox_sequence: int | None = None,
) -> Event:
    """Append one event in the current transaction (must be inside unit_of_work).
    A system actor's label stands for it unless `actor_label` is given.
    A Message summary is kept with the event and rendered in each reader's
    language (summary_of); the `summary` column holds it in the
    workspace's default language (search, webhooks, exports)."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("record_event must run inside unit_of_work()")
    event = await _new_event(
        actor,
        workspace_id,
        kind,
        summary,
        data=data,
        contact_id=contact_id,
        company_id=company_id,
        deal_id=deal_id,
        pipeline_id=pipeline_id,
        queue_id=queue_id,
        board_sequence=board_sequence,
        actor_label=actor_label,
        development_id=development_id,
        conversation_id=conversation_id,
        inbox_sequence=inbox_sequence,
    )
    await event.save()
    pending.append(event)
    return event


async def record_events(
    actor: Actor | None, workspace_id: int, events: Sequence[Mapping[str, Any]]
) -> list[Event]:
    """record_event for many events at once (bulk loads: an import's
    batch): each mapping holds record_event's `kind`, `summary` and keyword
    arguments; one INSERT for all of them, in the given order."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("record_events must run inside unit_of_work()")
    rows = [
        await _new_event(
            actor,
            workspace_id,
            e["kind"],
            e["summary"],
            **{k: v for k, v in e.items() if k not in ("kind", "summary")},
        )
        for e in events
    ]
    await insert_returning_ids(rows)
    pending.extend(rows)
    return rows


async def _new_event(
    actor: Actor | None,
    workspace_id: int,
    kind: str,
    summary: str | Message,
    *,
    data: dict[str, Any] | None = None,
    actor_label: str | None = None,
    **subjects: Any,
) -> Event:
    """The event record_event writes (not saved yet)."""
    data = dict(data or {})
    tag = _automation.get()
    if tag is not None:
        data["automation"] = dict(tag)
    if actor_label is None and actor is not None:
        actor_label = actor.label
    if isinstance(summary, Message):
        data[SUMMARY_MESSAGE] = summary.as_data()
        summary = summary.render(await _workspace_locale(actor, workspace_id))
    return Event(
        workspace_id=workspace_id,
        kind=kind,
        summary=summary,
        data=data,
        actor_user_id=actor.user_id if actor else None,
        actor_label=actor_label,
        **subjects,
    )


async def _workspace_locale(actor: Actor | None, workspace_id: int) -> str:
    """The workspace's default language: the actor's credential read it,
    else `workspace_locale`."""
    if actor is not None and actor.workspace_id == workspace_id and actor.workspace_locale:
        return actor.workspace_locale
    return await workspace_locale(workspace_id)


async def workspace_locale(workspace_id: int) -> str:
    """The language a workspace's people read unless they chose their own:
    what tasks speak (automation runs, imports) and events are stored in.
    Read once per unit of work: an automation step that speaks it and then
    records its events asks the database once, not once more per event."""
    known = _locales.get()
    if known is not None and workspace_id in known:
        return known[workspace_id]
    locales = await Workspace.filter(id=workspace_id).limit(1).values_list("default_locale", flat=True)
    locale = str(locales[0]) if locales else DEFAULT_LOCALE
    if known is not None:
        known[workspace_id] = locale
    return locale


def summary_of(event: Any, locale: str | None = None) -> str:
    """An event's summary in `locale` (default: the current language); an
    event recorded before messages were kept reads as it was stored."""
    message = Message.from_data((event.data or {}).get(SUMMARY_MESSAGE)) if event.data else None
    return rendered(message, locale) if message is not None else event.summary


def shown_data(data: dict[str, Any] | None) -> dict[str, Any]:
    """An event's data as clients see it (without the summary's message)."""
    return {key: value for key, value in (data or {}).items() if key != SUMMARY_MESSAGE}
