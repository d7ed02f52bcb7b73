"""Visitor tokens: HMAC-SHA256 under a key derived from the secret key, for
one inbox. Anything but the genuine token of this inbox under this secret
is refused."""

from __future__ import annotations

import pytest

from revgraph.resolvers.channels.webchat import tokens

SECRET = "o-segredo-do-servidor"


def test_a_genuine_token_names_its_inbox_and_visitor():
    token = tokens.sign(SECRET, 7, "visitante-abc", issued_at=1_800_000_000)
    assert tokens.verify(SECRET, token, 7) == tokens.VisitorToken(7, "visitante-abc", 1_800_000_000)


@pytest.mark.parametrize("issued_at", range(1_800_000_000, 1_800_000_040))
def test_every_altered_character_is_refused(issued_at):
    # (forty tokens: their signatures end in every kind of last character,
    # whose spare bits base64 decoders ignore)
    token = tokens.sign(SECRET, 7, "visitante-abc", issued_at=issued_at)
    for i, char in enumerate(token):
        for other in "ABCD_-":
            if char == "." or other == char:
                continue
            altered = token[:i] + other + token[i + 1 :]
            assert tokens.verify(SECRET, altered, 7) is None, (i, other)


@pytest.mark.parametrize(
    "token",
    [
        None,
        12,
        "",
        "v1.abc",
        "v2.a.b",
        "v1.@@@.###",
        "v1." + "a" * 600 + ".b",
    ],
)
def test_malformed_tokens_are_refused(token):
    assert tokens.verify(SECRET, token, 7) is None


def test_a_token_of_another_inbox_or_another_secret_is_refused():
    token = tokens.sign(SECRET, 7, "visitante-abc")
    assert tokens.verify(SECRET, token, 8) is None
    assert tokens.verify("outro-segredo", token, 7) is None
