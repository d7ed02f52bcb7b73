"""What an actor needs around it: the database and the event bus, opened
once per worker process on the loop the actors run on."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from revgraph.resolvers.database import close_database, open_database
from revgraph.resolvers.events.bus import EventBus, current_bus, install_bus
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)

# Hooks run for every batch of committed events, after it is published
# (e.g. handing events to automations). Actor modules append to it.
DISPATCH_HOOKS: list[Callable[[list[dict[str, Any]]], Awaitable[None]]] = []


def install_dispatch_hooks(bus: EventBus) -> None:
    for hook in DISPATCH_HOOKS:
        if hook not in bus.hooks:
            bus.hooks.append(hook)


async def start_worker_runtime(settings: Settings) -> None:
    import revgraph.tasks  # noqa: F401  (declares every actor)

    await open_database(settings, migrate=False)
    bus = EventBus(settings)
    await bus.connect()
    install_bus(bus)
    install_dispatch_hooks(bus)
    log.info("worker runtime ready")


async def stop_worker_runtime() -> None:
    bus = current_bus()
    install_bus(None)
    if bus is not None:
        await bus.disconnect()
    await close_database()
