"""The Dramatiq broker of this process, chosen from the environment.

- Embedded (no REVGRAPH_REDIS_URL): `EmbeddedBroker` runs every actor in the
  server process, on the server's own event loop (the "loop bridge"
  STACK.md asks for: Dramatiq's AsyncIO middleware runs actors on a loop
  thread of its own that cannot see the server's database context).
  Messages live in memory; the event log re-dispatches what a restart lost.
- Production: the `RedisBroker`; `revgraph worker` consumes it with the
  AsyncIO middleware and `DatabaseLifecycle`, which opens Tortoise and the
  event bus on the worker's loop thread at boot.

Actors are declared against `broker` at import, so this module picks the
broker before any actor module is imported."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import random
import time
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.broker import Broker
from dramatiq.message import Message
from dramatiq.middleware import Middleware, default_middleware

log = logging.getLogger(__name__)

DEFAULT_MAX_RETRIES = 20
DEFAULT_MIN_BACKOFF_MS = 1_000
DEFAULT_MAX_BACKOFF_MS = 5 * 60_000


def backoff_ms(attempt: int, min_backoff: int, max_backoff: int) -> int:
    """Exponential backoff with equal jitter: a wait between half and all of
    a ceiling doubling from min_backoff (attempt 1 → min_backoff/2..min_backoff)."""
    ceiling = min(max_backoff, min_backoff * 2 ** max(0, attempt - 1))
    return int(random.uniform(ceiling / 2, ceiling))


class EmbeddedBroker(Broker):
    """Runs actors on the server's loop, honouring Dramatiq's delay and retry
    options (max_retries, min_backoff, max_backoff, throws) like the Redis
    worker. It accepts every option the Redis broker's middleware declares,
    so one actor declaration serves both modes; the others (time_limit,
    max_age, ...) take effect only under `revgraph worker`."""

    def __init__(self) -> None:
        super().__init__(middleware=[])
        for middleware in default_middleware:
            self.actor_options |= middleware().actor_options
        self.queues: set[str] = set()
        self.delay_queues: set[str] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.inflight: set[asyncio.Task] = set()
        # Of those, the ones sleeping until their delay or next retry is due.
        self.waiting: set[asyncio.Task] = set()
        self.dead_letters: list[Message] = []
        self.on_dead_letter: list[Callable[[Message, BaseException], Any]] = []

    def declare_actor(self, actor: dramatiq.Actor) -> None:
        self.emit_before("declare_actor", actor)
        self.declare_queue(actor.queue_name)
        self.actors[actor.actor_name] = actor
        self.emit_after("declare_actor", actor)

    def declare_queue(self, queue_name: str) -> None:
        self.queues.add(queue_name)

    def get_declared_queues(self) -> set[str]:
        return set(self.queues)

    def get_declared_delay_queues(self) -> set[str]:
        return set(self.delay_queues)

    def attach(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop

    def enqueue(self, message: Message, *, delay: int | None = None) -> Message:
        loop = self.loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the embedded task runner is not started")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._spawn(message, delay)
        else:  # enqueued from another thread
            loop.call_soon_threadsafe(self._spawn, message, delay)
        return message

    def _spawn(self, message: Message, delay: int | None) -> None:
        task = asyncio.get_running_loop().create_task(
            self._run(message, delay), name=f"actor:{message.actor_name}"
        )
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)

    async def _wait(self, seconds: float) -> None:
        task = asyncio.current_task()
        self.waiting.add(task)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.waiting.discard(task)

    async def _run(self, message: Message, delay: int | None) -> None:
        if delay:
            await self._wait(delay / 1000)
        actor = self.get_actor(message.actor_name)
        fn = getattr(actor.fn, "__wrapped__", actor.fn)
        options = {**actor.options, **message.options}
        max_retries = options.get("max_retries", DEFAULT_MAX_RETRIES)
        min_backoff = options.get("min_backoff", DEFAULT_MIN_BACKOFF_MS)
        max_backoff = options.get("max_backoff", DEFAULT_MAX_BACKOFF_MS)
        attempt = 0
        while True:
            try:
                if inspect.iscoroutinefunction(fn):
                    await fn(*message.args, **message.kwargs)
                else:
                    await asyncio.to_thread(fn, *message.args, **message.kwargs)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                attempt += 1
                if attempt > max_retries or isinstance(exc, options.get("throws") or ()):
                    log.exception("actor %s gave up after %d attempt(s)", message.actor_name, attempt)
                    self.dead_letters.append(message)
                    for callback in self.on_dead_letter:
                        callback(message, exc)
                    return
                wait = backoff_ms(attempt, min_backoff, max_backoff)
                log.warning("actor %s failed (%s); retry %d in %d ms", message.actor_name, exc, attempt, wait)
                await self._wait(wait / 1000)

    async def join_running(self, timeout: float = 30.0) -> None:
        """Wait until nothing runs, cancelling every message that waits for
        its delay or next retry, also those that running work schedules
        meanwhile: what a stop does to them, without stopping. The test
        suite calls it between cases (the Redis run likewise leaves delayed
        messages in their queue)."""
        deadline = time.monotonic() + timeout
        while self.inflight:
            for task in list(self.waiting):
                task.cancel()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self.inflight)} task(s) still running")
            await asyncio.wait(set(self.inflight), timeout=remaining, return_when=asyncio.FIRST_COMPLETED)

    async def join_all(self, timeout: float = 30.0) -> None:
        """Wait until nothing is in flight (tests and graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while self.inflight:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self.inflight)} task(s) still running")
            await asyncio.wait(set(self.inflight), timeout=remaining)

    async def stop(self) -> None:
        for task in list(self.inflight):
            task.cancel()
        if self.inflight:
            await asyncio.gather(*self.inflight, return_exceptions=True)
        self.loop = None


# Coroutines an actor started on the worker's event loop and did not await
# (webhooks.deliver's endpoint runs): a Dramatiq worker thread waits for an
# async actor until it returns, so work that may take long on the network
# runs detached and leaves the thread free. At shutdown the worker waits for
# them up to DRAIN_SECONDS, then cancels what is left.
DETACHED: set[asyncio.Task] = set()
DRAIN_SECONDS = 15.0


def detach(coro: Any, name: str) -> asyncio.Task:
    """Run `coro` on the running loop without awaiting it (kept until done)."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    DETACHED.add(task)
    task.add_done_callback(DETACHED.discard)
    return task


async def drain_detached(timeout: float = DRAIN_SECONDS) -> None:
    """Wait for the detached coroutines, cancelling those still running
    after `timeout` (their cleanup, e.g. a lease released, still runs)."""
    if not DETACHED:
        return
    _, pending = await asyncio.wait(set(DETACHED), timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5)


class DatabaseLifecycle(Middleware):
    """In `revgraph worker`: open Tortoise and the event bus on the AsyncIO
    middleware's loop thread when the worker boots, close them at shutdown
    (after the detached coroutines drained)."""

    def before_worker_boot(self, broker: Broker, worker: Any) -> None:
        from dramatiq.asyncio import get_event_loop_thread

        from revgraph.resolvers.settings import Settings
        from revgraph.tasks.runtime import start_worker_runtime

        thread = get_event_loop_thread()
        if thread is None:
            raise RuntimeError("the AsyncIO middleware must come before DatabaseLifecycle")
        thread.run_coroutine(start_worker_runtime(Settings.from_env()))

    def after_worker_shutdown(self, broker: Broker, worker: Any) -> None:
        from dramatiq.asyncio import get_event_loop_thread

        from revgraph.tasks.runtime import stop_worker_runtime

        thread = get_event_loop_thread()
        if thread is not None:
            thread.run_coroutine(drain_detached())
            thread.run_coroutine(stop_worker_runtime())


def redis_broker(url: str, namespace: str) -> Broker:
    """The production broker. A worker that dies mid-message (killed, out of
    memory, its machine gone) leaves the message unacknowledged under its
    name; once its heartbeat is older than REVGRAPH_WORKER_HEARTBEAT_TIMEOUT_MS
    (Dramatiq's 60 s by default) another worker's periodic maintenance puts
    the message back on the queue, and the idempotent actors redo it once.
    REVGRAPH_WORKER_MAINTENANCE_CHANCE is how many of a million broker calls
    run that maintenance (Dramatiq's 1,000 by default)."""
    from dramatiq.brokers.redis import DEFAULT_HEARTBEAT_TIMEOUT, DEFAULT_MAINTENANCE_CHANCE, RedisBroker
    from dramatiq.middleware.asyncio import AsyncIO

    broker = RedisBroker(
        url=url,
        namespace=namespace,
        heartbeat_timeout=_int_env("REVGRAPH_WORKER_HEARTBEAT_TIMEOUT_MS", DEFAULT_HEARTBEAT_TIMEOUT),
        maintenance_chance=_int_env("REVGRAPH_WORKER_MAINTENANCE_CHANCE", DEFAULT_MAINTENANCE_CHANCE),
    )
    broker.add_middleware(AsyncIO())
    # Must come after AsyncIO: its boot hook needs the loop thread.
    broker.add_middleware(DatabaseLifecycle())
    return broker


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"revgraph: {name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise SystemExit(f"revgraph: {name} must be positive, not {value}")
    return value


def broker_from_env() -> Broker:
    url = os.environ.get("REVGRAPH_REDIS_URL")
    if url:
        prefix = os.environ.get("REVGRAPH_REDIS_PREFIX") or "revgraph"
        return redis_broker(url, namespace=f"{prefix}-tasks")
    return EmbeddedBroker()


broker = broker_from_env()
dramatiq.set_broker(broker)


def is_embedded() -> bool:
    return isinstance(broker, EmbeddedBroker)


async def start_tasks(settings: Any, bus: Any) -> None:
    """Called by the server's lifespan: attach the embedded runner to this
    loop and register the actors; with Redis, actors run in `revgraph worker`."""
    import revgraph.tasks  # noqa: F401  (declares every actor)
    from revgraph.tasks.runtime import install_dispatch_hooks

    if isinstance(broker, EmbeddedBroker):
        broker.attach(asyncio.get_running_loop())
    install_dispatch_hooks(bus)


async def stop_tasks() -> None:
    if isinstance(broker, EmbeddedBroker):
        await broker.stop()
