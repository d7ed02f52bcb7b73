"""Rate limits in cost points (RELIABILITY.md, like GitHub's GraphQL API):
every API key, and every user acting through a session, draws the cost of
its operations from its own budget per fixed window. Budgets live in Redis
when REVGRAPH_REDIS_URL is set, so every server process shares them, and in
process memory otherwise.

Leases (Redis only). Round trips to Redis were a large share of the fixed
cost of every request (`{ me { id } }`: one to admit, one to charge, close
to 30 % of its CPU in-process, bench/READS.md; a repeated poll answered
from the poll cache, web/poll_path.py, costs about a millisecond of CPU,
and its round trip was a fifth of it). So the budget
is drawn from a lease: a process takes a chunk of the caller's budget from
Redis at once (LEASE_SCRIPT: only while the window's total stays within the
limit, so the points leased, and spent, never pass it) and admits, charges
and spends from it locally, with no round trip, until it no longer covers
an operation's worst case. What a process leased counts in Redis as used:
the other processes of the deployment see it, and a caller spread over P
processes may be refused up to P leases early (a lease is at most
LEASE_POLLS operations' worst case and 1/LEASE_SHARE of the limit). The
headers count other processes' unspent leases as used (conservative); this
process's own unspent lease is what it may still spend, so for a caller
served by one process they are exact. An operation that delivered more than
the lease still holds (rare: delivery is bounded by the worst case admitted)
is charged the rest in Redis."""

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


# A lease covers at most this many polls of the cost that asked for it...
LEASE_POLLS = 16
# ...and at most this share of the limit (1/100).
LEASE_SHARE = 100
# Take `ARGV[3]` points (fewer when the limit leaves fewer, but never fewer
# than `ARGV[2]`, else none) from a window's budget of `ARGV[1]`; returns
# {points taken, the window's total}.
LEASE_SCRIPT = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local room = tonumber(ARGV[1]) - used
if room < tonumber(ARGV[2]) then
  return {0, used}
end
local taken = math.min(tonumber(ARGV[3]), room)
used = redis.call('INCRBY', KEYS[1], taken)
redis.call('EXPIREAT', KEYS[1], ARGV[4])
return {taken, used}
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


@dataclass(slots=True)
class Lease:
    """The points this process took from one caller's budget of the
    current window (`taken`), what it spent of them, and the window's total
    in Redis when last seen (every process's leases and charges)."""

    taken: int = 0
    spent: int = 0
    total: int = 0

    @property
    def unspent(self) -> int:
        return self.taken - self.spent

    def budget(self, limit: int, reset: int, allowed: bool) -> Budget:
        """Used: the total seen, less what this process may still spend."""
        return Budget(limit, self.total - self.unspent, reset, allowed)


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
            self._take = self._redis.register_script(LEASE_SCRIPT)
        self._redis_down_until = 0.0
        # This window's leases by budget owner (Redis only).
        self._leases: dict[str, Lease] = {}
        self._lease_window = -1

    def _window(self) -> tuple[int, int]:
        window = int(time.time() // self.window)
        return window, (window + 1) * self.window

    async def admit(self, actor: Actor, requested: int) -> Budget:
        """Whether the actor's budget in this window still covers an
        operation of `requested` points (at least 1). Nothing is charged;
        with Redis, the lease is made to cover it first (no round trip
        while it does)."""
        window, reset = self._window()
        owner, need = budget_owner(actor), max(requested, 1)
        if self._redis_up():
            lease = await self._covering(owner, window, reset, need)
            if lease is not None:
                return lease.budget(self.limit, reset, allowed=lease.unspent >= need)
        used = self._add_memory(owner, window, 0)
        return Budget(self.limit, used, reset, allowed=used + need <= self.limit)

    async def charge(self, actor: Actor, points: int) -> Budget:
        """Draw what an admitted operation cost (at least 1 point) from the
        actor's budget of the current window: from this process's lease
        first, the rest from Redis. Concurrent operations may overdraw it
        slightly; the next admission then refuses."""
        window, reset = self._window()
        owner, points = budget_owner(actor), max(points, 1)
        lease = self._lease(owner, window) if self._redis_up() else None
        taken = min(points, lease.unspent) if lease is not None else 0
        if lease is not None:
            lease.spent += taken
            if taken == points:
                return lease.budget(self.limit, reset, allowed=True)
        total = await self._add_redis(owner, window, reset, points - taken)
        if total is None:
            return Budget(self.limit, self._add_memory(owner, window, points), reset, allowed=True)
        return self._seen(owner, window, total).budget(self.limit, reset, allowed=True)

    async def spend(self, actor: Actor, requested: int, delivered: int) -> Budget:
        """admit and charge in one step, for an operation whose delivered
        cost is known before it runs (a cached answer, web/poll_path.py):
        charged when the budget covered `requested`, nothing otherwise."""
        window, reset = self._window()
        owner, points = budget_owner(actor), max(delivered, 1)
        if self._redis_up():
            lease = await self._covering(owner, window, reset, max(requested, points))
            if lease is not None:
                allowed = lease.unspent >= max(requested, points)
                if allowed:
                    lease.spent += points
                return lease.budget(self.limit, reset, allowed=allowed)
        used = self._add_memory(owner, window, points)
        if used - points + max(requested, 1) <= self.limit:
            return Budget(self.limit, used, reset, allowed=True)
        used = self._add_memory(owner, window, -points)
        return Budget(self.limit, used, reset, allowed=False)

    async def _covering(self, owner: str, window: int, reset: int, need: int) -> Lease | None:
        """The owner's lease, made to cover `need` (the worst case) when the
        budget has room: leasing what it lacks, and more for the operations
        to come. It still falls short when the budget cannot cover `need`
        (the same verdict as without leases, but for other processes'
        unspent leases). None when Redis is unreachable."""
        lease = self._lease(owner, window)
        while lease.unspent < need:
            # Again if a concurrent request spent from it meanwhile.
            short = need - lease.unspent
            size = max(short, min(need * LEASE_POLLS, self.limit // LEASE_SHARE))
            taken = await self._take_lease(owner, window, reset, short, size)
            if taken is None:
                return None
            lease.taken += taken[0]
            lease.total = max(lease.total, taken[1])
            if not taken[0]:
                break
        return lease

    def _redis_up(self) -> bool:
        return self._redis is not None and time.time() >= self._redis_down_until

    def _lease(self, owner: str, window: int) -> Lease:
        if window < self._lease_window:
            return Lease()  # a request that began as its window ended: spent from Redis
        if window > self._lease_window:
            # Earlier windows' leases lapse with their windows.
            self._leases.clear()
            self._lease_window = window
        lease = self._leases.get(owner)
        if lease is None:
            lease = self._leases[owner] = Lease()
        return lease

    def _seen(self, owner: str, window: int, total: int) -> Lease:
        """The owner's lease, with the window's total just read."""
        lease = self._lease(owner, window)
        lease.total = max(lease.total, total)
        return lease

    async def _take_lease(
        self, owner: str, window: int, reset: int, least: int, size: int
    ) -> tuple[int, int] | None:
        """(points taken, the window's total) from Redis, or None while it
        is unreachable."""
        key = f"{self.prefix}:{owner}:{window}"
        try:
            taken, total = await self._take(keys=[key], args=[self.limit, least, size, reset + 60])
        except (RedisError, OSError) as exc:
            self._unreachable(exc)
            return None
        return int(taken), int(total)

    async def _add(self, owner: str, window: int, reset: int, points: int) -> int:
        """Add points (0 to read) and return the window's total: in Redis,
        else (not configured, unreachable) in this process. No lease: the
        form posts' limiter (resolvers/distribution/form_posts.py) counts
        this way."""
        total = await self._add_redis(owner, window, reset, points)
        return self._add_memory(owner, window, points) if total is None else total

    async def _add_redis(self, owner: str, window: int, reset: int, points: int) -> int | None:
        """Add points (0 to read) in Redis and return the window's total;
        None when Redis is not configured or unreachable."""
        if not self._redis_up():
            return None
        key = f"{self.prefix}:{owner}:{window}"
        try:
            return int(await self._count(keys=[key], args=[points, reset + 60]))
        except (RedisError, OSError) as exc:
            self._unreachable(exc)
            return None

    def _unreachable(self, exc: BaseException) -> None:
        """While Redis is unreachable, this process counts alone, because an
        outage of the limiter must not take the API down."""
        self._redis_down_until = time.time() + REDIS_RETRY_SECONDS
        log.warning("rate limit store unreachable, counting in memory: %s", type(exc).__name__)

    def _add_memory(self, owner: str, window: int, points: int) -> int:
        """Add points (0 to read) to this process's own count."""
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
