"""Periodic jobs: the server sends their messages on a schedule; the actors
run wherever the broker delivers them (in-process, or `revgraph worker`)."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 3600.0
# Waits of automations resume within this long after they are due.
AUTOMATION_SCAN_SECONDS = 30.0


async def run_timers(purge_every: float = PURGE_EVERY_SECONDS) -> None:
    """Send `purge_trash` at start and then every hour until cancelled. Every
    server process runs this; the actor is idempotent, so overlaps are harmless."""
    from revgraph.tasks.maintenance import purge_trash

    while True:
        try:
            purge_trash.send()
        except Exception:
            log.exception("could not schedule the trash purge")
        await asyncio.sleep(purge_every)


async def run_automation_timer(every: float = AUTOMATION_SCAN_SECONDS) -> None:
    """Send `automations.wake_due` every `every` seconds until cancelled: it
    resumes due waits, announces overdue tasks and re-sends stalled runs.
    Every server runs it; the scan is safe to overlap."""
    from revgraph.tasks.automations import wake_due

    while True:
        await asyncio.sleep(every)
        try:
            wake_due.send()
        except Exception:
            log.exception("could not schedule the automation scan")
