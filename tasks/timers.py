"""Periodic jobs: every server process sends their messages on a schedule;
the actors run wherever the broker delivers them (in-process, or
`revgraph worker`). Each actor is idempotent, so two servers' timers
overlapping is harmless."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 3600.0
# Waits of automations resume, and overdue tasks are announced, within this long.
AUTOMATION_SCAN_SECONDS = 30.0
# Agents idle past the presence timeout go offline within this long after it.
PRESENCE_SCAN_SECONDS = 60.0
# Unattended leads move on within this long after their queue's delay.
REDISTRIBUTION_SCAN_SECONDS = 60.0


# Outbound messages whose send task was lost are found this often.
OUTBOUND_SWEEP_SECONDS = 60
# SLA warnings and breaches are recorded, and snoozes end, within this long.
SLA_SCAN_SECONDS = 30.0
SNOOZE_SCAN_SECONDS = 30.0
# Conversations whose bot task was lost are answered within this long (and at start).
BOT_SWEEP_SECONDS = 60.0
# Stored channel webhooks (WhatsApp's) whose task was lost are worked again this often (and at start).
CHANNEL_WEBHOOK_SWEEP_SECONDS = 30.0
# Outgoing webhook deliveries whose task was lost (an outage) go out within
# Settings.webhook_sweep_seconds (REVGRAPH_WEBHOOK_SWEEP_SECONDS, 15 s).
# CSV imports whose run was lost resume within this long (and at start).
IMPORT_SWEEP_SECONDS = 60.0


async def every(seconds: float, send: Callable[[], object], *, at_start: bool = False) -> None:
    """Call `send` every `seconds` until cancelled (first at start if asked)."""
    if not at_start:
        await asyncio.sleep(seconds)
    while True:
        try:
            send()
        except Exception:
            log.exception("could not schedule %s", getattr(send, "__qualname__", send))
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class Timer:
    """One periodic job: `send` every `seconds` (first at start if `at_start`)."""

    seconds: float
    send: Callable[[], object]
    at_start: bool = False


def schedule(settings: Settings) -> list[Timer]:
    """The trash purge (at start, then hourly), the automation scan (resumes
    due waits, emits task.overdue, re-sends stalled runs), the presence
    check, the unattended-lead redistribution, the outbound sweep, the SLA
    timer, the snoozes' end, the bot sweep, the stored channel webhooks'
    sweep, the outgoing webhooks' sweep, the imports' sweep, SQLite's
    planner statistics and, for a SQLite file, its WAL's checkpoints."""
    from revgraph.resolvers.database import (
        STATISTICS_REFRESH_SECONDS,
        WAL_CHECKPOINT_SECONDS,
        checkpoint_wal,
        refresh_planner_statistics,
    )
    from revgraph.resolvers.settings import sqlite_path
    from revgraph.tasks.automations import wake_due
    from revgraph.tasks.chatbot import sweep_bots
    from revgraph.tasks.distribution import expire_presence, redistribute_unattended
    from revgraph.tasks.imports import sweep as sweep_imports
    from revgraph.tasks.inbox import check_sla, sweep_outbound, wake_snoozed
    from revgraph.tasks.maintenance import purge_trash
    from revgraph.tasks.partners import sweep_rdstation_conversions
    from revgraph.tasks.webhooks import sweep as sweep_webhooks
    from revgraph.tasks.whatsapp import sweep_whatsapp_webhooks

    return [
        Timer(PURGE_EVERY_SECONDS, purge_trash.send, at_start=True),
        Timer(AUTOMATION_SCAN_SECONDS, wake_due.send),
        Timer(PRESENCE_SCAN_SECONDS, expire_presence.send),
        Timer(REDISTRIBUTION_SCAN_SECONDS, redistribute_unattended.send),
        Timer(OUTBOUND_SWEEP_SECONDS, sweep_outbound.send),
        Timer(SLA_SCAN_SECONDS, check_sla.send),
        Timer(SNOOZE_SCAN_SECONDS, wake_snoozed.send),
        Timer(BOT_SWEEP_SECONDS, sweep_bots.send, at_start=True),
        Timer(CHANNEL_WEBHOOK_SWEEP_SECONDS, sweep_whatsapp_webhooks.send, at_start=True),
        Timer(settings.webhook_sweep_seconds, sweep_webhooks.send, at_start=True),
        Timer(IMPORT_SWEEP_SECONDS, sweep_imports.send, at_start=True),
        Timer(CHANNEL_WEBHOOK_SWEEP_SECONDS, sweep_rdstation_conversions.send, at_start=True),
        # On this process's own connection, the one its queries ran on (SQLite only).
        Timer(STATISTICS_REFRESH_SECONDS, lambda: _background(refresh_planner_statistics())),
    ] + (
        # Beside the writes, not in their commits (resolvers/database.py).
        [Timer(WAL_CHECKPOINT_SECONDS, lambda: _background(checkpoint_wal()))]
        if sqlite_path(settings.database_url) is not None
        else []
    )


async def run_timers(settings: Settings | None = None) -> None:
    """Every timer of `schedule` (with the process's settings, or the
    defaults when not given), until cancelled."""
    from revgraph.resolvers.settings import Settings

    timers = schedule(settings or Settings())
    await asyncio.gather(*(every(t.seconds, t.send, at_start=t.at_start) for t in timers))


_running: set[asyncio.Task] = set()


def _background(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` beside the timers, holding a reference until it ends."""
    task = asyncio.ensure_future(work)
    _running.add(task)
    task.add_done_callback(_running.discard)
