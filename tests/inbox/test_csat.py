"""CSAT: resolving a conversation sends its contact a survey link through
the channel; the link's public page takes one answer (rating 1-5, an
optional comment), shown on the conversation and the contact's timeline;
a second answer, an unknown link and a bad rating are refused and change
nothing."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from revgraph.models.events import Event
from revgraph.models.inbox import Conversation
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.inbox import csat
from revgraph.resolvers.settings import Settings, SettingsError
from tests.distribution.support import eventually
from tests.inbox.support import conversation, create_inbox, receive, send

RESOLVE = "mutation($id: ID!) { resolveConversation(id: $id) { conversation { id status } userErrors { code field } } }"
REOPEN = "mutation($id: ID!) { reopenConversation(id: $id) { conversation { id status } userErrors { code field } } }"
CSAT = "query($id: ID!) { conversation(id: $id) { csat { rating comment at } } }"
TIMELINE = "query($id: ID!) { contact(id: $id) { timeline(first: 50) { edges { node { kind summary } } } } }"
SURVEY_LINK = re.compile(r"/csat/([\w-]+)")


async def resolved_conversation(gql, workspace, **inbox):
    """A conversation of an inbox, answered by the admin and resolved."""
    created = await create_inbox(gql, workspace.token, **inbox)
    received = await receive(gql, workspace.token, created["id"])
    conversation_id = received["conversation"]["id"]
    assert (await send(gql, workspace.token, conversation_id))["userErrors"] == []
    await resolve(gql, workspace.token, conversation_id)
    return received["conversation"]


async def resolve(gql, token, conversation_id):
    data = await gql.ok(RESOLVE, {"id": conversation_id}, token=token)
    assert data["resolveConversation"]["userErrors"] == []


async def surveys(gql, token, conversation_id):
    """The survey messages of a conversation, oldest first."""
    seen = await conversation(gql, token, conversation_id)
    return [e["node"] for e in seen["messages"]["edges"] if SURVEY_LINK.search(e["node"]["body"])]


def token_of(message):
    return SURVEY_LINK.search(message["body"]).group(1)


async def stored(conversation_id):
    return await Conversation.get(id=pk_of(conversation_id, "Conversation"))


async def test_resolving_sends_the_contact_a_survey_link_through_the_channel(gql, workspace):
    # when an API-channel conversation is resolved
    conv = await resolved_conversation(gql, workspace)
    # then one outbound text with the survey link went to the contact, written by no one
    [survey] = await surveys(gql, workspace.token, conv["id"])
    assert (survey["kind"], survey["direction"], survey["author"]) == ("TEXT", "OUTBOUND", None)
    assert survey["body"].endswith(f"/csat/{token_of(survey)}")
    # and only the token's sha256 is kept
    row = await stored(conv["id"])
    assert row.csat_token_hash == hashlib.sha256(token_of(survey).encode()).hexdigest()

    # and the channel's sender takes it like any reply
    async def sent():
        return [m["status"] for m in await surveys(gql, workspace.token, conv["id"])] == ["SENT"]

    assert await eventually(sent)


async def test_the_link_shows_the_form_and_takes_one_answer(gql, workspace):
    # given a survey link
    conv = await resolved_conversation(gql, workspace)
    [survey] = await surveys(gql, workspace.token, conv["id"])
    page = f"{gql.server.url}/csat/{token_of(survey)}"
    # when the contact opens it
    shown = await gql.http.get(page)
    # then a pt-BR form asks for a rating from 1 to 5, on a page nothing caches or refers from
    assert shown.status_code == 200
    assert '<html lang="pt-BR">' in shown.text and 'method="post"' in shown.text
    assert all(f'name="rating" value="{n}"' in shown.text for n in range(1, 6))
    assert shown.headers["cache-control"] == "no-store" and shown.headers["referrer-policy"] == "no-referrer"
    # when they answer
    answered = await gql.http.post(page, data={"rating": "4", "comment": "Atendimento ótimo, rápido"})
    # then they are thanked and the conversation shows the answer
    assert answered.status_code == 200 and "Obrigado pela sua avaliação!" in answered.text
    rated = (await gql.ok(CSAT, {"id": conv["id"]}, token=workspace.token))["conversation"]["csat"]
    assert (rated["rating"], rated["comment"]) == (4, "Atendimento ótimo, rápido") and rated["at"]
    # and the contact's timeline has it, with a stream event of the conversation
    timeline = await gql.ok(TIMELINE, {"id": conv["contact"]["id"]}, token=workspace.token)
    kinds = [e["node"]["kind"] for e in timeline["contact"]["timeline"]["edges"]]
    assert kinds.count("conversation.csat_answered") == 1
    updates = await Event.filter(kind="conversation.updated", inbox_sequence__isnull=False).values_list(
        "data", flat=True
    )
    assert [d["csat"] for d in updates] == [{"rating": 4}]
    # and the link now says it was answered
    again = await gql.http.get(page)
    assert again.status_code == 200 and "já foi avaliada" in again.text and 'method="post"' not in again.text


async def test_a_second_answer_is_refused_and_changes_nothing(gql, workspace):
    # given an answered survey
    conv = await resolved_conversation(gql, workspace)
    [survey] = await surveys(gql, workspace.token, conv["id"])
    page = f"{gql.server.url}/csat/{token_of(survey)}"
    assert (await gql.http.post(page, data={"rating": "5"})).status_code == 200
    # when it is answered again
    second = await gql.http.post(page, data={"rating": "1", "comment": "Mudei de ideia"})
    # then it is refused, and the first answer stands alone
    assert second.status_code == 409 and "já foi avaliada" in second.text
    row = await stored(conv["id"])
    assert (row.csat_rating, row.csat_comment) == (5, None)
    assert await Event.filter(kind="conversation.csat_answered").count() == 1
    # and the same refusal comes from the use case
    with pytest.raises(DomainError) as refused:
        await csat.answer(token_of(survey), 3, None)
    assert refused.value.problems[0].code == "DUPLICATE"


async def test_an_unknown_link_is_not_found(gql, workspace):
    # given a resolved conversation with a survey
    conv = await resolved_conversation(gql, workspace)
    # when a link nobody was sent is opened or posted to
    for path in ("/csat/" + "x" * 43, "/csat/" + "y" * 500):
        opened = await gql.http.get(gql.server.url + path)
        posted = await gql.http.post(gql.server.url + path, data={"rating": "5"})
        # then both are a 404 page, and nothing was rated
        assert opened.status_code == posted.status_code == 404
        assert "não existe" in opened.text
    assert (await stored(conv["id"])).csat_rating is None


async def test_a_bad_rating_or_comment_shows_the_form_again_and_stores_nothing(gql, workspace):
    conv = await resolved_conversation(gql, workspace)
    [survey] = await surveys(gql, workspace.token, conv["id"])
    page = f"{gql.server.url}/csat/{token_of(survey)}"
    for posted, says in [
        ({"rating": "9"}, "Escolha uma nota de 1 a 5."),
        ({"comment": "Sem nota"}, "Escolha uma nota de 1 a 5."),
        ({"rating": "3", "comment": "x" * 2001}, "até 2000 caracteres"),
    ]:
        # when the form is posted with it
        refused = await gql.http.post(page, data=posted)
        # then the form comes back saying why, and nothing is stored
        assert refused.status_code == 422 and says in refused.text, posted
        assert 'method="post"' in refused.text
    row = await stored(conv["id"])
    assert (row.csat_rating, row.csat_at) == (None, None)
    assert await Event.filter(kind="conversation.csat_answered").count() == 0
    # and a comment of exactly 2,000 characters is taken
    assert (await gql.http.post(page, data={"rating": "3", "comment": "y" * 2000})).status_code == 200


async def test_a_rated_conversation_is_not_asked_again_and_an_unrated_one_gets_a_new_link(gql, workspace):
    # given two resolved conversations, one rated
    rated = await resolved_conversation(gql, workspace)
    unrated = await resolved_conversation(gql, workspace)
    [first] = await surveys(gql, workspace.token, rated["id"])
    assert (
        await gql.http.post(f"{gql.server.url}/csat/{token_of(first)}", data={"rating": "5"})
    ).status_code == 200
    [old] = await surveys(gql, workspace.token, unrated["id"])
    # when both are reopened and resolved again
    for conv in (rated, unrated):
        reopened = await gql.ok(REOPEN, {"id": conv["id"]}, token=workspace.token)
        assert reopened["reopenConversation"]["userErrors"] == []
        await resolve(gql, workspace.token, conv["id"])
    # then the rated one is not asked again
    assert len(await surveys(gql, workspace.token, rated["id"])) == 1
    # and the unrated one gets a new link, the old one no longer works
    [_, new] = await surveys(gql, workspace.token, unrated["id"])
    assert token_of(new) != token_of(old)
    assert (await gql.http.get(f"{gql.server.url}/csat/{token_of(old)}")).status_code == 404
    assert (await gql.http.get(f"{gql.server.url}/csat/{token_of(new)}")).status_code == 200


async def test_no_survey_goes_out_when_the_reply_window_is_closed(gql, workspace):
    # given a WhatsApp conversation whose contact wrote 25 hours ago
    inbox = await create_inbox(gql, workspace.token, channel="WHATSAPP")
    at = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    conv = (await receive(gql, workspace.token, inbox["id"], at=at))["conversation"]
    # when it is resolved
    await resolve(gql, workspace.token, conv["id"])
    # then no survey was sent (the provider would refuse free text) and no link exists
    assert await surveys(gql, workspace.token, conv["id"]) == []
    assert (await stored(conv["id"])).csat_token_hash is None


def test_the_link_starts_with_the_public_url():
    base = {"REVGRAPH_DATABASE_URL": "sqlite://:memory:", "REVGRAPH_SECRET_KEY": "unused"}
    settings = Settings.from_env({**base, "REVGRAPH_PUBLIC_URL": "https://crm.example.com/"})
    assert csat.survey_link(settings, "abc") == "https://crm.example.com/csat/abc"
    assert csat.survey_link(Settings.from_env(base), "abc") == "/csat/abc"
    with pytest.raises(SettingsError):
        Settings.from_env({**base, "REVGRAPH_PUBLIC_URL": "crm.example.com"})


async def test_the_page_speaks_the_visitors_language(gql, workspace):
    # given a survey link
    conv = await resolved_conversation(gql, workspace)
    [survey] = await surveys(gql, workspace.token, conv["id"])
    page = f"{gql.server.url}/csat/{token_of(survey)}"
    english = {"accept-language": "en-US,en;q=0.9"}
    # when a contact whose browser prefers English opens it
    shown = await gql.http.get(page, headers=english)
    # then the form is in English, every label included
    assert shown.status_code == 200 and '<html lang="en">' in shown.text
    assert "How do you rate the service you received" in shown.text and "Excellent" in shown.text
    assert "Send rating" in shown.text and "avaliação" not in shown.text
    # and a refusal and the thanks are in English too
    refused = await gql.http.post(page, data={"rating": "9"}, headers=english)
    assert refused.status_code == 422 and "Choose a rating from 1 to 5." in refused.text
    answered = await gql.http.post(page, data={"rating": "5"}, headers=english)
    assert answered.status_code == 200 and "Thank you for your rating!" in answered.text
    # and an unknown link says so in English
    missing = await gql.http.get(f"{gql.server.url}/csat/{'z' * 43}", headers=english)
    assert missing.status_code == 404 and "Link not found" in missing.text
