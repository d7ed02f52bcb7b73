"""Throttles on guessing: failed log-ins (and wrong current passwords in
changePassword) per e-mail and per client IP, failed sign-ups per client IP
(a taken e-mail answers DUPLICATE, so sign-up would otherwise tell anyone
which e-mails have accounts), and invalid password reset tokens per client IP.

An attempt is *reserved* before the expensive or revealing check and kept
only if the attempt fails, so concurrent attempts cannot all read a count
taken before any of them was stored (RELIABILITY.md "Throttles hold under
concurrency"). The counters live in Redis when REVGRAPH_REDIS_URL is set,
shared by every process and reserved in one Lua script; in process memory
otherwise (the embedded mode is one process), and meanwhile when Redis does
not answer, as the rate limiter does. With Redis, each process also mirrors
its own reservations in memory, so a switch to memory (a Redis timeout under
load) goes on from what the process already counted: never more than the
limit from one process."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import N_, Message
from revgraph.resolvers.rate_limit import REDIS_RETRY_SECONDS, limiter_redis
from revgraph.resolvers.settings import Settings

if TYPE_CHECKING:
    from revgraph.resolvers.context import Context

log = logging.getLogger(__name__)

# KEYS: the counters; ARGV: each one's limit and window in seconds, in turn.
# Either every counter takes the attempt or none does (a refused attempt
# does not count). Returns 0 when admitted, else the seconds until the first
# full counter's window ends.
RESERVE = """
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[2 * i - 1]) then
    return math.max(redis.call('TTL', key), 1)
  end
end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('EXPIRE', key, ARGV[2 * i])
  end
end
return 0
"""
RELEASE = """
for _, key in ipairs(KEYS) do
  if redis.call('DECR', key) <= 0 then
    redis.call('DEL', key)
  end
end
return 0
"""
# Past this many counters in memory, expired ones are dropped on the next reservation.
MEMORY_SWEEP_AT = 10_000


@dataclass(frozen=True)
class Counter:
    """At most `limit` attempts per `window_seconds`, counted from the first one."""

    key: str
    limit: int
    window_seconds: int


@dataclass
class Reservation:
    """One admitted attempt, counted until it is released."""

    throttle: AttemptThrottle | None
    counters: Sequence[Counter]
    in_redis: bool = False
    released: bool = field(default=False)

    async def release(self) -> None:
        """The attempt turned out not to be a failure: stop counting it."""
        if self.released or self.throttle is None:
            return
        self.released = True
        await self.throttle.release(self)


class AttemptThrottle:
    def __init__(self, settings: Settings) -> None:
        self.prefix = f"{settings.redis_prefix}:attempts"
        self._memory: dict[str, list[float]] = {}  # key -> [count, window end (monotonic)]
        self._redis = limiter_redis(settings)
        if self._redis is not None:
            self._reserve = self._redis.register_script(RESERVE)
            self._release = self._redis.register_script(RELEASE)
        self._redis_down_until = 0.0

    async def reserve(self, counters: Sequence[Counter]) -> tuple[Reservation | None, int]:
        """Count one attempt against every counter, or against none when one
        is full: (the reservation, 0), or (None, seconds to wait)."""
        keys = [f"{self.prefix}:{c.key}" for c in counters]
        if self._redis_usable():
            args = [n for c in counters for n in (max(c.limit, 0), max(c.window_seconds, 1))]
            try:
                wait = int(await self._reserve(keys=keys, args=args))
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)
            else:
                if wait:
                    return None, wait
                # Mirrored in memory: if Redis stops answering (a timeout
                # under load), the count this process goes on with starts
                # from what it already reserved, not from zero.
                self._count_in_memory(keys, counters)
                return Reservation(self, counters, in_redis=True), 0
        wait = self._reserve_in_memory(keys, counters)
        return (Reservation(self, counters), 0) if wait == 0 else (None, wait)

    async def release(self, reservation: Reservation) -> None:
        keys = [f"{self.prefix}:{c.key}" for c in reservation.counters]
        if reservation.in_redis:
            try:
                await self._release(keys=keys)
            except (RedisError, OSError) as exc:
                # The attempt stays counted until its window ends: erring
                # towards the throttle, never away from it.
                self._redis_failed(exc)
                return
        for key in keys:
            entry = self._memory.get(key)
            if entry is not None:
                entry[0] -= 1
                if entry[0] <= 0:
                    del self._memory[key]

    async def reset(self) -> None:
        """Forget every count (tests; an operator lifting a lock-out)."""
        self._memory.clear()
        if self._redis is not None:
            # A few round trips over the whole keyspace, not one per 10 keys:
            # each must answer within the limiter's short socket timeout.
            keys = [key async for key in self._redis.scan_iter(match=f"{self.prefix}:*", count=1000)]
            if keys:
                await self._redis.delete(*keys)

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    def _count_in_memory(self, keys: list[str], counters: Sequence[Counter]) -> None:
        now = time.monotonic()
        for key, counter in zip(keys, counters, strict=True):
            entry = self._memory.get(key)
            if entry is None or entry[1] <= now:
                entry = self._memory[key] = [0, now + max(counter.window_seconds, 1)]
            entry[0] += 1

    def _reserve_in_memory(self, keys: list[str], counters: Sequence[Counter]) -> int:
        # No await from the check to the increment: atomic within the process.
        now = time.monotonic()
        if len(self._memory) > MEMORY_SWEEP_AT:
            self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
        entries = []
        for key, counter in zip(keys, counters, strict=True):
            entry = self._memory.get(key)
            if entry is None or entry[1] <= now:
                entry = [0, now + max(counter.window_seconds, 1)]
            if entry[0] >= counter.limit:
                return max(math.ceil(entry[1] - now), 1)
            entries.append((key, entry))
        for key, entry in entries:
            entry[0] += 1
            self._memory[key] = entry
        return 0

    def _redis_usable(self) -> bool:
        return self._redis is not None and time.time() >= self._redis_down_until

    def _redis_failed(self, exc: BaseException) -> None:
        self._redis_down_until = time.time() + REDIS_RETRY_SECONDS
        log.warning("attempt throttle store unreachable, counting in memory: %s", type(exc).__name__)


def _digest(value: str) -> str:
    # E-mails and addresses stay out of Redis key names.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _minutes(seconds: int) -> int:
    return max(math.ceil(seconds / 60), 1)


async def _reserve(
    ctx: Context, counters: list[Counter], refusal: Message, field: list[str] | None
) -> Reservation:
    if ctx.throttle is None:  # trusted in-process callers: the demo, seeds
        return Reservation(None, counters)
    reservation, wait = await ctx.throttle.reserve(counters)
    if reservation is None:
        raise DomainError("LIMIT_EXCEEDED", Message(refusal.msgid, {"minutes": _minutes(wait)}), field)
    return reservation


def _password_counters(ctx: Context, email: str) -> list[Counter]:
    limits = ctx.settings.limits
    window = limits.login_failure_window_seconds
    return [
        Counter(f"login:email:{_digest(email)}", limits.login_failures_per_email, window),
        Counter(f"login:ip:{_digest(ctx.client_ip)}", limits.login_failures_per_ip, window),
    ]


async def log_in_attempt(ctx: Context, email: str) -> Reservation:
    """Reserve a log-in attempt for the e-mail and the client IP, or refuse
    it with LIMIT_EXCEEDED when either has used up its failures."""
    return await _reserve(
        ctx,
        _password_counters(ctx, email),
        N_("Too many failed log-in attempts; wait {minutes} minutes and try again."),
        ["input", "email"],
    )


async def current_password_attempt(ctx: Context, email: str, field: list[str]) -> Reservation:
    """Reserve a check of a logged-in user's current password (changePassword)
    against the same counters as log-ins: a stolen session gets no more
    guesses at the password than the log-in form gives."""
    return await _reserve(
        ctx,
        _password_counters(ctx, email),
        N_("Too many wrong passwords; wait {minutes} minutes and try again."),
        field,
    )


async def password_reset_attempt(ctx: Context) -> Reservation:
    """Reserve a use of a password reset token for the client IP, or refuse
    it with LIMIT_EXCEEDED when the IP has used up its failures (guessing
    tokens)."""
    limits = ctx.settings.limits
    counter = Counter(
        f"reset:ip:{_digest(ctx.client_ip)}",
        limits.password_reset_failures_per_ip,
        limits.password_reset_failure_window_seconds,
    )
    return await _reserve(
        ctx,
        [counter],
        N_("Too many invalid reset links from this address; wait {minutes} minutes and try again."),
        ["input", "token"],
    )


async def sign_up_attempt(ctx: Context) -> Reservation:
    """Reserve a sign-up attempt for the client IP, or refuse it with
    LIMIT_EXCEEDED when the IP has used up its failures."""
    limits = ctx.settings.limits
    counter = Counter(
        f"signup:ip:{_digest(ctx.client_ip)}",
        limits.signup_failures_per_ip,
        limits.signup_failure_window_seconds,
    )
    return await _reserve(
        ctx,
        [counter],
        N_("Too many failed sign-up attempts from this address; wait {minutes} minutes and try again."),
        None,
    )
