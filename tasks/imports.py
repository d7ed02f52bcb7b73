"""Import actors: `imports.run` (job id in) works a CSV import's current
phase — the dry run or the import — batch by batch; `imports.sweep` sends
it again for a job whose message was lost. Both are safe twice: each batch
commits with the cursor it advanced from (resolvers/imports/runner.py)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import dramatiq

from revgraph.resolvers.imports import runner
from revgraph.resolvers.settings import Settings
from revgraph.tasks.broker import broker
from revgraph.tasks.runtime import DISPATCH_HOOKS

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@dramatiq.actor(
    actor_name="imports.run",
    broker=broker,
    queue_name="imports",
    max_retries=10,
    min_backoff=1_000,
    max_backoff=60_000,
    # 200,000 rows take minutes; a run cut short resumes from its cursor.
    time_limit=2 * 3600_000,
)
async def run(job_id: int) -> None:
    """Run the job's dry run or import to its end (resuming at its cursor)."""
    await runner.run_job(settings(), job_id)


@dramatiq.actor(actor_name="imports.sweep", broker=broker, queue_name="imports", max_retries=3)
async def sweep() -> None:
    """Send `run` again for jobs that made no progress for a while; drop
    uploads a dying server left half-stored."""
    await runner.drop_abandoned_uploads()
    for job_id in await runner.stalled_jobs():
        log.warning("import %s stalled: sending it again", job_id)
        run.send(job_id)


async def start_imports(events: list[dict[str, Any]]) -> None:
    """Dispatch hook: a committed dry run or import starts running."""
    for event in events:
        if event.get("kind") == runner.QUEUED:
            run.send(int(event["data"]["jobId"]))


DISPATCH_HOOKS.append(start_imports)
