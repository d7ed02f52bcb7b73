"""A WhatsApp inbox's settings (write-only): the Cloud API phone number id
it sends from and is named by in webhooks, the access token its sends
carry, the Meta app's secret that signs its webhooks, and the verify token
of the webhook subscription handshake."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from revgraph.resolvers.errors import DomainError, Problem
from revgraph.resolvers.i18n import N_, _

PHONE_NUMBER_ID = re.compile(r"^[0-9]{5,32}$")
# Tokens and secrets: printable ASCII without spaces.
TOKEN = re.compile(r"^[\x21-\x7e]+$")
KEYS = {
    "phoneNumberId": N_("the number's Phone number ID in Meta's WhatsApp Manager (digits)"),
    "accessToken": N_("a (system user) access token with whatsapp_business_messaging"),
    "appSecret": N_("the Meta app's App secret (signs the webhooks)"),
    "verifyToken": N_("the Verify token you typed in the app's webhook settings"),
}
LIMITS = {
    "phoneNumberId": (5, 32),
    "accessToken": (16, 4096),
    "appSecret": (16, 256),
    "verifyToken": (8, 256),
}


@dataclass(frozen=True)
class WhatsAppCredentials:
    phone_number_id: str
    access_token: str
    app_secret: str
    verify_token: str

    @classmethod
    def of(cls, settings: dict[str, Any]) -> WhatsAppCredentials:
        return cls(
            phone_number_id=str(settings.get("phoneNumberId") or ""),
            access_token=str(settings.get("accessToken") or ""),
            app_secret=str(settings.get("appSecret") or ""),
            verify_token=str(settings.get("verifyToken") or ""),
        )


def check_whatsapp_settings(settings: dict[str, Any], field: list[str]) -> tuple[dict[str, Any], str | None]:
    """None at all: the inbox is not connected yet (its sends fail saying
    so, no webhook names it). Otherwise all four keys, each well-formed,
    and nothing else (a typo in a key would be stored and never read);
    every problem at once."""
    if not settings:
        return {}, None
    problems: list[Problem] = []
    for key in sorted(set(settings) - set(KEYS)):
        problems.append(
            Problem(
                "INVALID",
                _("Unknown WhatsApp setting {key!r}: use {items}.", key=key, items=", ".join(KEYS)),
                [*field, key],
            )
        )
    values: dict[str, str] = {}
    for key, meaning in KEYS.items():
        raw = settings.get(key)
        value = raw.strip() if isinstance(raw, str) else ""
        least, most = LIMITS[key]
        pattern = PHONE_NUMBER_ID if key == "phoneNumberId" else TOKEN
        if not value:
            problems.append(
                Problem(
                    "INVALID", _("{key} is required: {meaning}.", key=key, meaning=meaning), [*field, key]
                )
            )
        elif not least <= len(value) <= most or not pattern.match(value):
            shape = N_("digits") if key == "phoneNumberId" else N_("printable characters without spaces")
            problems.append(
                Problem(
                    "INVALID",
                    _(
                        "{key} must be {least} to {most} {shape}: {meaning}.",
                        key=key,
                        least=least,
                        most=most,
                        shape=shape,
                        meaning=meaning,
                    ),
                    [*field, key],
                )
            )
        values[key] = value
    if problems:
        raise DomainError.many(problems)
    return values, values["phoneNumberId"]
