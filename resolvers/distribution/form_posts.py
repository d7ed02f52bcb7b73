"""What a public form post becomes: posted fields read through the form's
mapping, the origin (UTM, landing page) taken from the post and the page,
and one capture with the form's defaults. Posts that filled the honeypot
capture nothing. Posts are rate limited per client IP and form."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from revgraph.models.developments import Development
from revgraph.models.distribution import Form, Queue
from revgraph.models.pipeline import Pipeline
from revgraph.resolvers.distribution.capture import UTM_KEYS, Captured, capture
from revgraph.resolvers.distribution.forms import CUSTOM_PREFIX
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.rate_limit import RateLimiter
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)

# Posted names read as themselves when the mapping does not mention them.
STANDARD_FIELDS = ("name", "email", "phone", "message")
LANDING_PAGE_FIELDS = ("landing_page", "page")
# Lead field (as the mapping names it) -> the key `capture` reads.
CAPTURE_KEYS = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "message": "message",
    "media": "media",
    "campaign": "campaign",
    "landingPage": "landing_page",
}
MAX_KEY_LENGTH = 64
MAX_PAGE_LENGTH = 2000


async def find_form(key: str) -> Form | None:
    """The live form behind a public key; archived or unknown keys name nothing."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    return await Form.filter(key=key, archived_at=None).first()


def _text(value: Any, field: list[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DomainError("INVALID", _("Send text here."), field)
    return str(value)


def lead_values(
    form: Form, posted: dict[str, Any], query: dict[str, str], referer: str | None
) -> dict[str, Any]:
    """The capture input a post stands for. Mapped fields win over the
    standard names; posted UTM wins over the action URL's; a posted
    landing page wins over the Referer; posted media/campaign win over the
    form's."""
    mapping: dict[str, str] = dict(form.field_mapping or {})
    for name in STANDARD_FIELDS:
        if name not in mapping.values() and name in posted:
            mapping.setdefault(name, name)
    values: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for posted_name, target in mapping.items():
        raw = posted.get(posted_name)
        if raw is None or raw == "":
            continue
        if target.startswith(CUSTOM_PREFIX):
            if not isinstance(raw, (str, int, float, bool)):
                raise DomainError("INVALID", _("Send text, a number or a boolean here."), [posted_name])
            custom[target[len(CUSTOM_PREFIX) :]] = raw
        else:
            values[CAPTURE_KEYS[target]] = _text(raw, [posted_name])
    utm = {k: str(query[k]) for k in UTM_KEYS if query.get(k)}
    utm.update({k: t for k in UTM_KEYS if (t := _text(posted.get(k), [k]))})
    if "landing_page" not in values:
        page = next((_text(posted[n], [n]) for n in LANDING_PAGE_FIELDS if posted.get(n)), None)
        # The Referer is the browser's, not the visitor's input: one too long
        # to keep is dropped rather than refusing the lead over it.
        values["landing_page"] = page or (referer if referer and len(referer) <= MAX_PAGE_LENGTH else None)
    # A form that asks only for an e-mail or a phone still captures: the lead
    # is named after how to reach it until someone learns the name.
    if not (values.get("name") or "").strip():
        values["name"] = values.get("email") or values.get("phone") or ""
    values.update(
        source=form.source,
        media=values.get("media") or form.media,
        campaign=values.get("campaign") or form.campaign,
        utm=utm,
        custom_fields=custom,
    )
    return values


async def _live_targets(form: Form) -> dict[str, int]:
    """The form's queue, pipeline and development, when still live. One archived
    after the form was set up must not cost the lead: it is captured
    without it, and the log says so."""
    targets = {}
    if form.queue_id is not None:
        if await Queue.filter(id=form.queue_id, archived_at=None).exists():
            targets["queue_id"] = form.queue_id
        else:
            log.warning(
                "form %s: queue %s is archived; capturing without distribution", form.id, form.queue_id
            )
    if form.development_id is not None:
        if await Development.filter(id=form.development_id, archived_at=None).exists():
            targets["development_id"] = form.development_id
        else:
            log.warning(
                "form %s: development %s is archived; capturing without it", form.id, form.development_id
            )
    if form.pipeline_id is not None:
        if await Pipeline.filter(id=form.pipeline_id, archived_at=None).exists():
            targets["pipeline_id"] = form.pipeline_id
        else:
            log.warning(
                "form %s: pipeline %s is archived; capturing without a deal", form.id, form.pipeline_id
            )
    return targets


def _posted_paths(form: Form, error: DomainError) -> DomainError:
    """Name problems by the posted field the visitor filled, not the lead field."""
    reverse = {target: posted for posted, target in (form.field_mapping or {}).items()}
    for problem in error.problems:
        path = problem.field or []
        if path[:1] == ["customFields"] and len(path) > 1:
            problem.field = [reverse.get(CUSTOM_PREFIX + path[1], path[1])]
        elif path:
            problem.field = [reverse.get(path[0], path[0])]
    return error


async def submit_form(
    settings: Settings, form: Form, posted: dict[str, Any], query: dict[str, str], referer: str | None
) -> Captured | None:
    """A public post captures one lead with the form's defaults, attributed
    to the form; a filled honeypot captures and records nothing (None). The
    poster is answered the same either way, and never told whether the
    person was already known (web/capture_endpoints.py)."""
    if str(posted.get(form.honeypot_field) or "").strip():
        return None
    try:
        values = lead_values(form, posted, query, referer)
        values.update(await _live_targets(form))
        captured = await capture(
            settings, None, form.workspace_id, values, field=[], form=form, label=f"form:{form.name}"
        )
    except DomainError as error:
        raise _posted_paths(form, error) from None
    return captured


@dataclass(frozen=True)
class PostAllowance:
    allowed: bool
    retry_after: int


class FormPostLimiter(RateLimiter):
    """Posts per client IP and form in a fixed window, on the API rate
    limiter's store (Redis when configured, shared by every process;
    memory otherwise), so a flood from one address cannot fill a
    workspace with leads."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.limit = settings.limits.form_posts_per_window
        self.window = max(settings.limits.form_post_window_seconds, 1)
        self.prefix = f"{settings.redis_prefix}:formposts"

    async def hit(self, form_key: str, client_ip: str) -> PostAllowance:
        """Count one post and say whether it is within the limit. Counted by
        the form's key, which is never reused, unlike a row id."""
        window, reset = self._window()
        used = await self._add(f"{form_key}:{client_ip}", window, reset, 1)
        return PostAllowance(used <= self.limit, max(int(reset - time.time()), 1))
