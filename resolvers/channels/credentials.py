"""An inbox's `settings` per channel: what each channel's adapter needs,
checked when an inbox is created or its settings replaced, and the
address the outside names the inbox by (Inbox.channel_address)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from revgraph.resolvers.channels.email.settings import email_settings
from revgraph.resolvers.channels.webchat.setup import check_webchat_settings
from revgraph.resolvers.channels.whatsapp.credentials import check_whatsapp_settings

# channel -> check(settings, field) -> (settings to store, channel address or None)
CHECKS: dict[str, Callable[[dict[str, Any], list[str]], tuple[dict[str, Any], str | None]]] = {
    "WHATSAPP": check_whatsapp_settings,
    "EMAIL": email_settings,
    "WEBCHAT": check_webchat_settings,
}


def check_channel_settings(
    channel: str, settings: dict[str, Any], field: list[str]
) -> tuple[dict[str, Any], str | None]:
    """The settings as stored and the inbox's channel address; channels
    without an adapter keep their settings as given and have no address."""
    check = CHECKS.get(channel)
    if check is None:
        return settings, None
    return check(settings, field)
