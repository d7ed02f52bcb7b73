"""Fixtures for the infrastructure proofs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.infra.private_redis import PrivateRedis, running_private_redis

SHARED_REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    with running_private_redis() as server:
        yield server
