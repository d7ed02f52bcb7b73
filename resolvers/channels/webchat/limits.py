"""Visitors' rate limits. The widget is public: anyone may open sockets and
write, so each client IP and each visitor has bounds — sockets open at
once, new sockets per minute (IP), messages per minute (IP and visitor).
With REVGRAPH_REDIS_URL the counts are shared by every server process;
without it, or while Redis is unreachable, this process counts alone (an
outage of the limiter must not take the chat down).

The per-minute counts are the attempt throttle's counters
(resolvers/attempt_limits.py): reserved atomically across processes, and a
refused attempt does not count. Open sockets are leases in a sorted set
(member: the socket, score: when its lease ends) renewed while the socket
lives, so a process that dies without closing its sockets frees their
places within a lease."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from revgraph.resolvers.attempt_limits import AttemptThrottle, Counter
from revgraph.resolvers.i18n import N_, Message
from revgraph.resolvers.rate_limit import REDIS_RETRY_SECONDS, limiter_redis
from revgraph.resolvers.settings import Limits, Settings

log = logging.getLogger(__name__)

LEASE_SECONDS = 90.0
RENEW_SECONDS = 30.0
WINDOW_SECONDS = 60
# Frames that are not messages (acknowledgements, identify, ping) a visitor
# may send in a minute: an ack follows each reply the widget gets, so they
# have a budget of their own, well above what a live chat sends.
CONTROL_FRAMES_PER_MINUTE = 120

# Drop expired leases, count, and take a place if one is free: atomically,
# so two processes never both take the last place.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


@dataclass(frozen=True)
class Refusal:
    """Why a visitor is refused: the websocket close code and reason (a
    Message, sent in the visitor's language, at most 123 bytes)."""

    code: int
    reason: Message


TOO_MANY_SOCKETS = Refusal(4429, N_("too many open connections"))
TOO_MANY_CONNECTS = Refusal(4429, N_("too many connections per minute"))
TOO_MANY_MESSAGES = Refusal(4429, N_("too many messages per minute"))
TOO_MANY_FRAMES = Refusal(4429, N_("too many frames per minute"))


class VisitorLimits:
    def __init__(self, settings: Settings) -> None:
        self.limits: Limits = settings.limits
        self.prefix = f"{settings.redis_prefix}:webchat"
        self._redis = limiter_redis(settings)
        self._redis_down_until = 0.0
        self._leases: dict[str, dict[str, float]] = {}
        self.counts = AttemptThrottle(settings)

    def _redis_up(self) -> aioredis.Redis | None:
        if self._redis is not None and time.time() >= self._redis_down_until:
            return self._redis
        return None

    def _redis_failed(self, exc: Exception) -> None:
        self._redis_down_until = time.time() + REDIS_RETRY_SECONDS
        log.warning("webchat limits: Redis unreachable, counting in this process: %s", type(exc).__name__)

    # ---------------------------------------------------------------- counts

    async def connect(self, ip: str) -> Refusal | None:
        """A new socket from `ip`: within the new sockets per minute?"""
        limit = self.limits.webchat_connects_per_ip_per_minute
        reservation, _ = await self.counts.reserve([Counter(f"webchat:connect:{ip}", limit, WINDOW_SECONDS)])
        return TOO_MANY_CONNECTS if reservation is None else None

    async def message(self, ip: str, visitor_key: str) -> Refusal | None:
        """A visitor's message: within the IP's and the visitor's messages per minute?"""
        counters = [
            Counter(
                f"webchat:message-ip:{ip}", self.limits.webchat_messages_per_ip_per_minute, WINDOW_SECONDS
            ),
            Counter(
                f"webchat:message-visitor:{visitor_key}",
                self.limits.webchat_messages_per_visitor_per_minute,
                WINDOW_SECONDS,
            ),
        ]
        reservation, _ = await self.counts.reserve(counters)
        return TOO_MANY_MESSAGES if reservation is None else None

    async def control_frame(self, visitor_key: str) -> Refusal | None:
        """An acknowledgement, identify or ping: within the visitor's control frames per minute?"""
        counter = Counter(f"webchat:control:{visitor_key}", CONTROL_FRAMES_PER_MINUTE, WINDOW_SECONDS)
        reservation, _ = await self.counts.reserve([counter])
        return TOO_MANY_FRAMES if reservation is None else None

    # ---------------------------------------------------------------- leases

    async def _acquire(self, name: str, member: str, limit: int) -> bool:
        key = f"{self.prefix}:open:{name}"
        now = time.time()
        redis = self._redis_up()
        if redis is not None:
            try:
                taken = await redis.eval(
                    _ACQUIRE, 1, key, now, now + LEASE_SECONDS, limit, member, int(LEASE_SECONDS * 2)
                )
                return bool(taken)
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)
        leases = self._leases.setdefault(key, {})
        for other, until in list(leases.items()):
            if until <= now:
                del leases[other]
        if len(leases) >= limit:
            return False
        leases[member] = now + LEASE_SECONDS
        return True

    async def _release(self, name: str, member: str) -> None:
        key = f"{self.prefix}:open:{name}"
        self._leases.get(key, {}).pop(member, None)
        redis = self._redis_up()
        if redis is not None:
            try:
                await redis.zrem(key, member)
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)

    async def open(self, ip: str, visitor_key: str) -> tuple[str, Refusal | None]:
        """Take a place for a socket of `visitor_key` from `ip`: its lease id,
        or why not (then nothing is held)."""
        member = uuid.uuid4().hex
        if not await self._acquire(f"ip:{ip}", member, self.limits.webchat_sockets_per_ip):
            return member, TOO_MANY_SOCKETS
        if not await self._acquire(f"visitor:{visitor_key}", member, self.limits.webchat_sockets_per_visitor):
            await self._release(f"ip:{ip}", member)
            return member, TOO_MANY_SOCKETS
        return member, None

    async def renew(self, ip: str, visitor_key: str, member: str) -> None:
        """Keep a live socket's places (call every RENEW_SECONDS)."""
        until = time.time() + LEASE_SECONDS
        names = (f"ip:{ip}", f"visitor:{visitor_key}")
        redis = self._redis_up()
        if redis is not None:
            try:
                async with redis.pipeline(transaction=True) as pipe:
                    for name in names:
                        pipe.zadd(f"{self.prefix}:open:{name}", {member: until}, xx=True)
                    await pipe.execute()
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)
        for name in names:
            leases = self._leases.get(f"{self.prefix}:open:{name}")
            if leases is not None and member in leases:
                leases[member] = until

    async def close(self, ip: str, visitor_key: str, member: str) -> None:
        await self._release(f"visitor:{visitor_key}", member)
        await self._release(f"ip:{ip}", member)

    async def aclose(self) -> None:
        await self.counts.aclose()
        if self._redis is not None:
            await self._redis.aclose()
