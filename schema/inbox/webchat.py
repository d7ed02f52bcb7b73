"""GraphQL surface of a WEBCHAT inbox's widget: its public key and the
snippet to paste in a site, for administrators."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers.channels.webchat import setup as webchat_setup
from revgraph.schema.common import ctx_of


@strawberry.type(
    description="How a WEBCHAT inbox's widget is put on a site. Administrators only; settings change with updateInbox(settings: {allowedOrigins, greeting, title, color})."
)
class WebchatWidget:
    public_key: str = strawberry.field(
        description="The inbox's public key: names the chat in the widget's script tag (not a secret; sites outside allowedOrigins are refused)."
    )
    snippet: str = strawberry.field(
        description='The script tag to paste before </body>: <script src="https://<server>/widget.js" data-inbox="<publicKey>" async></script>.'
    )
    allowed_origins: list[str] = strawberry.field(
        description='Sites (scheme://host[:port]) whose pages may use the widget; empty: any site. Setting "allowedOrigins".'
    )
    title: str = strawberry.field(description='The panel\'s title (setting "title"; default "Fale conosco").')
    greeting: str = strawberry.field(
        description='The first line a visitor reads (setting "greeting"; default "Olá! Como podemos ajudar?").'
    )
    color: str = strawberry.field(description='The widget\'s colour, "#RRGGBB" (setting "color").')


def widget_of(info: Info, row: Any) -> WebchatWidget | None:
    ctx = ctx_of(info)
    base = ctx.settings.public_url
    if base is None:
        request = info.context.get("request")
        base = str(request.base_url) if request is not None else ""
    setup = webchat_setup.setup_of(bool(ctx.actor and ctx.actor.is_admin), row, base)
    if setup is None:
        return None
    return WebchatWidget(
        public_key=setup.public_key,
        snippet=setup.snippet,
        allowed_origins=list(setup.widget.allowed_origins),
        title=setup.widget.title,
        greeting=setup.widget.greeting,
        color=setup.widget.color,
    )
