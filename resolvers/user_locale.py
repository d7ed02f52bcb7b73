"""A user's own language: what they read (messages, timeline summaries)
whatever the workspace's default is."""

from __future__ import annotations

from revgraph.models.identity import User
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import unit_of_work
from revgraph.resolvers.i18n import LOCALES, _


async def set_my_locale(ctx: Context, locale: str | None) -> User:
    """The caller chooses the language they read ("pt-BR" or "en"); null
    follows the workspace's default. Applies from their next request; a
    preference, not a change of the CRM, so it records no event."""
    actor = ctx.require_actor()
    if locale is not None and locale not in LOCALES:
        raise DomainError(
            "INVALID", _("Language is one of {choices}.", choices=", ".join(LOCALES)), ["locale"]
        )
    async with unit_of_work():
        user = await User.filter(id=actor.user_id).select_for_update().get()
        if user.locale != locale:
            user.locale = locale
            await user.save(update_fields=["locale"])
    return user
