"""Rate limits in cost points (RELIABILITY.md, like GitHub's GraphQL API):
every API key, and every user acting through a session, draws the cost of
its operations from its own budget per fixed window. Budgets live in Redis
when REVGRAPH_REDIS_URL is set, so every server process shares them, and in
process memory otherwise."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from revgraph.resolvers.context import Actor
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)

# After a Redis failure, budgets are counted in memory for this long before
# Redis is tried again, so an outage costs one timeout, not one per request.
REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5
# Add to a window's counter and set its expiry in one atomic step (the
# counter never exists without it); one command, where MULTI/EXEC cost
# the client nearly twice the CPU on every request.
COUNT_SCRIPT = """
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIREAT', KEYS[1], ARGV[2])
return used
"""


def limiter_redis(settings: Settings) -> aioredis.Redis | None:
    """The Redis client of a limiter (None without REVGRAPH_REDIS_URL):
    short timeouts, because a limiter that waits on Redis holds up the
    request it was meant to protect."""
    if not settings.redis_url:
        return None
    return aioredis.from_url(
        settings.redis_url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


@dataclass(frozen=True)
class Budget:
    """The state of one caller's budget after a charge, as the
    `x-ratelimit-*` headers report it. `reset` is the Unix time at which
    the window ends and the budget is whole again."""

    limit: int
    used: int
    reset: int
    allowed: bool

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset),
        }


def budget_owner(actor: Actor) -> str:
    """Whose budget an operation draws from: the API key it came with, or
    the user of the session. Ids are scoped by workspace so no two callers
    of different workspaces ever share one."""
    if actor.api_key_id is not None:
        return f"w{actor.workspace_id}:key{actor.api_key_id}"
    return f"w{actor.workspace_id}:user{actor.user_id}"


class RateLimiter:
    """Fixed-window budgets of cost points per caller. Like Shopify's, an
    operation is admitted when the budget still covers its requested (worst
    case) cost, and is then charged what it actually delivered, so a board
    that asks for 100 cards per column but has 12 pays for 12."""

    def __init__(self, settings: Settings) -> None:
        self.limit = settings.limits.rate_limit_points
        self.window = max(settings.limits.rate_limit_window_seconds, 1)
        self.prefix = f"{settings.redis_prefix}:ratelimit"
        self._memory: dict[str, int] = {}
        self._memory_window = -1
        self._redis = limiter_redis(settings)
        if self._redis is not None:
            self._count = self._redis.register_script(COUNT_SCRIPT)
        self._redis_down_until = 0.0

    def _window(self) -> tuple[int, int]:
        window = int(time.time() // self.window)
        return window, (window + 1) * self.window

    async def admit(self, actor: Actor, requested: int) -> Budget:
        """Whether the actor's budget in this window still covers an
        operation of `requested` points (at least 1). Nothing is charged."""
        window, reset = self._window()
        used = await self._add(budget_owner(actor), window, reset, 0)
        return Budget(self.limit, used, reset, allowed=used + max(requested, 1) <= self.limit)

    async def charge(self, actor: Actor, points: int) -> Budget:
        """Draw what an admitted operation cost (at least 1 point) from the
        actor's budget of the current window. Concurrent operations may
        overdraw it slightly; the next admission then refuses."""
        window, reset = self._window()
        used = await self._add(budget_owner(actor), window, reset, max(points, 1))
        return Budget(self.limit, used, reset, allowed=True)

    async def spend(self, actor: Actor, requested: int, delivered: int) -> Budget:
        """admit and charge in one step, for an operation whose delivered
        cost is known before it runs (a cached answer, web/poll_path.py):
        charged when the budget covered `requested`, refunded otherwise."""
        window, reset = self._window()
        owner, points = budget_owner(actor), max(delivered, 1)
        used = await self._add(owner, window, reset, points)
        if used - points + max(requested, 1) <= self.limit:
            return Budget(self.limit, used, reset, allowed=True)
        used = await self._add(owner, window, reset, -points)
        return Budget(self.limit, used, reset, allowed=False)

    async def _add(self, owner: str, window: int, reset: int, points: int) -> int:
        """Add points (0 to read) and return the window's total. Redis is
        the store when configured; while it is unreachable, this process
        counts alone, because an outage of the limiter must not take the
        API down."""
        if self._redis is not None and time.time() >= self._redis_down_until:
            key = f"{self.prefix}:{owner}:{window}"
            try:
                return int(await self._count(keys=[key], args=[points, reset + 60]))
            except (RedisError, OSError) as exc:
                self._redis_down_until = time.time() + REDIS_RETRY_SECONDS
                log.warning("rate limit store unreachable, counting in memory: %s", type(exc).__name__)
        if window != self._memory_window:
            # Earlier windows are over: their counts can never matter again.
            self._memory.clear()
            self._memory_window = window
        used = self._memory.get(owner, 0) + points
        self._memory[owner] = used
        return used

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
