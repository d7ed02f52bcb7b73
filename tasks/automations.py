"""Automation actors. `automations.evaluate` (event id in) creates runs;
`automations.run` (run id in) performs them; `automations.wake_due` resumes
waits, announces overdue tasks and re-sends stalled runs. Every message is
safe to deliver twice: runs are unique per (rule, event) and each step is
committed with the run's progress."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import dramatiq

from revgraph.models.automation import AutomationRule
from revgraph.resolvers.automations import engine
from revgraph.resolvers.automations.definitions import EVENT_KINDS, KIND_NAMES, source_kinds
from revgraph.resolvers.settings import Settings
from revgraph.tasks.broker import broker
from revgraph.tasks.runtime import DISPATCH_HOOKS

log = logging.getLogger(__name__)
# A safety net above the run's own attempt limit (the row decides FAILED).
MAX_DELIVERIES = 50


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@dramatiq.actor(
    actor_name="automations.evaluate",
    broker=broker,
    queue_name="automations",
    max_retries=10,
    min_backoff=500,
    max_backoff=60_000,
)
async def evaluate(event_id: int) -> None:
    """Create the runs this event calls for (once per rule, however often delivered)."""
    await engine.evaluate_event(event_id)


@dramatiq.actor(
    actor_name="automations.run",
    broker=broker,
    queue_name="automations",
    max_retries=MAX_DELIVERIES,
    min_backoff=1_000,
    max_backoff=5 * 60_000,
)
async def run(run_id: int) -> None:
    """Perform a run's remaining steps; a failed step raises so the broker
    retries it with exponential backoff until the run's attempt limit."""
    await engine.execute_run(settings(), run_id)


def send_run(run_id: int) -> None:
    current = settings()
    run.send_with_options(
        args=(run_id,),
        min_backoff=current.automation_min_backoff_ms,
        max_backoff=current.automation_max_backoff_ms,
    )


@dramatiq.actor(actor_name="automations.wake_due", broker=broker, queue_name="automations", max_retries=3)
async def wake_due() -> None:
    """The due-time scan: resume runs whose wait is over, emit `task.overdue`,
    and re-send runs whose message was lost."""
    woken = await engine.wake_due_runs()
    overdue = await engine.emit_overdue_tasks()
    for run_id in await engine.stale_runs():
        send_run(run_id)
    lost = await engine.unevaluated_events()
    for event_id in lost:
        evaluate.send(event_id)
    if lost:
        log.warning("automations: %d event(s) whose evaluation was lost sent again", len(lost))
    if woken or overdue:
        log.info("automations: %d run(s) resumed, %d overdue task(s) announced", woken, overdue)


async def dispatch_to_automations(events: list[dict[str, Any]]) -> None:
    """Dispatch hook (after commit): events of a kind some enabled rule of
    their workspace listens to go to `automations.evaluate` (one query per
    batch); run-starting events send their run. (The inbox's kinds go
    whatever their data: the engine decides what they fire and marks them
    evaluated, so the lost-evaluation scan agrees with this hook.)"""
    for event in events:
        if event.get("kind") in engine.RUN_SENDING_KINDS:
            send_run(int(event["data"]["runId"]))
    candidates = [e for e in events if e.get("kind") in EVENT_KINDS]
    if not candidates:
        return
    kinds = {e["kind"] for e in candidates}
    rules = await AutomationRule.filter(
        workspace_id__in={e["workspace_id"] for e in candidates},
        trigger_kind__in={t for t in KIND_NAMES if kinds.intersection(source_kinds(t))},
        enabled=True,
        deleted_at=None,
    ).values_list("workspace_id", "trigger_kind")
    listened = {(workspace_id, kind) for workspace_id, trigger in rules for kind in source_kinds(trigger)}
    for event in candidates:
        if (event["workspace_id"], event["kind"]) in listened:
            evaluate.send(event["id"])


DISPATCH_HOOKS.append(dispatch_to_automations)
