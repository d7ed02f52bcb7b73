"""CSAT (pesquisa de satisfação): when a conversation is resolved, the
contact is sent a link to rate the service from 1 to 5, with an optional
comment, on a public page (web/csat.py).

The link's token is unguessable and shown once, in the message; only its
sha256 is stored (conversation.csat_token_hash, unique). A conversation
takes one answer: a second is refused, and a conversation already rated
is not asked again when it is resolved once more. One that was asked but
not rated gets a new link on its next resolution (the older one stops
working: one token per conversation). No survey goes out when the
channel's reply window is closed: the provider would refuse free text."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from revgraph.models.identity import Workspace
from revgraph.models.inbox import Conversation, Inbox
from revgraph.resolvers.context import Actor
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.inbox.conversations import add_message
from revgraph.resolvers.inbox.intake import can_reply
from revgraph.resolvers.inbox.stream import record_inbox_event, seen_of
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.validation import optional_text

SURVEY_PATH = "/csat/"
# Who sends the survey (the message's author_label, the events' actor).
LABEL = "csat"
# Who answers it: the contact, on a page without login.
CONTACT_LABEL = "contact"
MAX_COMMENT_CHARS = 2000
# secrets.token_urlsafe(32) is 43 characters; anything far longer names nothing.
MAX_TOKEN_CHARS = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def survey_link(settings: Settings, token: str) -> str:
    """The survey's address: REVGRAPH_PUBLIC_URL + /csat/<token> (a path
    on this server when the setting is unset)."""
    return f"{settings.public_url or ''}{SURVEY_PATH}{token}"


def survey_text(link: str) -> str:
    # What the contact reads: in the workspace's language (pt-BR for now).
    return f"Seu atendimento foi concluído. Como você avalia o atendimento? Responda em um clique: {link}"


async def offer(settings: Settings, conversation: Conversation) -> str | None:
    """Send the just-resolved conversation's contact a survey link, as an
    OUTBOUND message QUEUED for the channel (caller's transaction, the row
    locked). The token, or None when no survey goes out (already rated, or
    the reply window is closed)."""
    if conversation.csat_rating is not None:
        return None
    inbox = await Inbox.get(id=conversation.inbox_id)
    now = datetime.now(UTC)
    if not can_reply(inbox, conversation, now):
        return None
    token = secrets.token_urlsafe(32)
    conversation.csat_token_hash = token_hash(token)
    # add_message saves the conversation with its new token.
    await add_message(
        Actor.system(conversation.workspace_id, LABEL),
        conversation,
        kind="TEXT",
        direction="OUTBOUND",
        status="QUEUED",
        body=survey_text(survey_link(settings, token)),
        at=now,
        author_id=None,
        author_label=LABEL,
        summary=N_(
            "Satisfaction survey sent in conversation #{conversation_number}",
            conversation_number=conversation.number,
        ),
    )
    return token


@dataclass(frozen=True)
class Survey:
    """What the public page shows about a survey link."""

    conversation: Conversation
    workspace_name: str

    @property
    def answered(self) -> bool:
        return self.conversation.csat_rating is not None


async def find_survey(token: str) -> Survey | None:
    """The survey a link's token opens, or None when it names none."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    conversation = await Conversation.filter(csat_token_hash=token_hash(token)).first()
    if conversation is None:
        return None
    names = await Workspace.filter(id=conversation.workspace_id).values_list("name", flat=True)
    return Survey(conversation, names[0] if names else "")


def check_rating(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise DomainError("INVALID", _("The rating is a whole number from 1 to 5."), ["rating"])
    return value


async def answer(token: str, rating: int, comment: str | None) -> Conversation:
    """The contact's answer through the survey link: rating 1..5, an
    optional comment of at most 2,000 characters; once per conversation
    (DUPLICATE after that; NOT_FOUND for a token that names no survey).
    Stored on the conversation with a CONVERSATION_UPDATED stream event and
    a `conversation.csat_answered` event on the contact's timeline."""
    rating = check_rating(rating)
    comment = optional_text(
        comment, ["comment"], max_length=MAX_COMMENT_CHARS, what=_("The comment"), multiline=True
    )
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise NotFound(_("Survey"), ["token"])
    async with unit_of_work():
        conversation = (
            await Conversation.filter(csat_token_hash=token_hash(token)).select_for_update().first()
        )
        if conversation is None:
            raise NotFound(_("Survey"), ["token"])
        if conversation.csat_rating is not None:
            raise DomainError(
                "DUPLICATE",
                _("This survey was already answered: a conversation takes one answer."),
                ["token"],
            )
        before = await seen_of(conversation)
        conversation.csat_rating = rating
        conversation.csat_comment = comment
        conversation.csat_at = datetime.now(UTC)
        await conversation.save(update_fields=["csat_rating", "csat_comment", "csat_at", "updated_at"])
        summary = N_(
            "The contact rated conversation #{number} {rating} of 5",
            number=conversation.number,
            rating=rating,
        )
        await record_inbox_event(
            None,
            conversation,
            "conversation.updated",
            summary,
            before=before,
            data={"csat": {"rating": rating}},
            actor_label=CONTACT_LABEL,
        )
        await record_event(
            None,
            conversation.workspace_id,
            "conversation.csat_answered",
            summary,
            data={"conversationId": conversation.id, "rating": rating, "comment": comment},
            contact_id=conversation.contact_id,
            conversation_id=conversation.id,
            actor_label=CONTACT_LABEL,
        )
    return conversation
