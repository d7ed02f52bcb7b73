"""A private server with small webchat limits (tests/security/conftest.py)."""

from tests.security.conftest import private_server  # noqa: F401
