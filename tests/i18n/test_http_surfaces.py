"""The HTTP surfaces outside GraphQL speak the caller's language too: export
refusals (the signed-in user's, else Accept-Language, else pt-BR), public
form pages and answers (the visitor's browser), and a distribution's reason,
stored once and read by each user in their own."""

from __future__ import annotations

from typing import Any

from tests.distribution.support import contact, create_queue, distribute
from tests.distribution.test_distribute import agents
from tests.distribution.test_forms import create_form, post_html, post_json
from tests.exports.support import export

SET_LOCALE = 'mutation { setMyLocale(locale: "en") { userErrors { code } } }'
ASSIGNMENTS = "query { assignments(first: 5) { edges { node { status reason } } } }"


async def _english(gql: Any, token: str) -> None:
    assert (await gql.ok(SET_LOCALE, token=token))["setMyLocale"]["userErrors"] == []


async def test_export_refusals_speak_the_users_language(gql, workspace):
    # a pt-BR user (the default) asking for an unknown separator
    refused = await export(gql, workspace.token, "contacts", sep="|")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == 'Use sep=, ou sep=; (";" para o Excel em português).'
    # the same user after choosing English
    await _english(gql, workspace.token)
    refused = await export(gql, workspace.token, "contacts", sep="|")
    assert refused.json()["errors"][0]["message"] == 'Use sep=, or sep=; (";" for Excel in Portuguese).'
    assert refused.json()["errors"][0]["extensions"]["code"] == "INVALID"
    # before any credential: the browser's language, else pt-BR
    url = gql.server.url + "/export/nothing.csv"
    unknown = await gql.http.get(url, headers={"accept-language": "en"})
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["message"] == (
        "No such list: export contacts, companies, deals, conversations, tasks."
    )
    anonymous = await gql.http.get(gql.server.url + "/export/contacts.csv")
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["message"].startswith("Autenticação necessária: envie Authorization")


async def test_public_form_pages_and_answers_speak_the_visitors_language(gql, workspace):
    form = await create_form(gql, workspace.token)
    # a Portuguese browser (or one that says nothing) gets the pt-BR page
    thanks = await post_html(gql, form, {"name": "Ana", "email": "ana@example.com"})
    assert thanks.status_code == 200
    assert '<html lang="pt-BR">' in thanks.text and "<h1>Obrigado!</h1>" in thanks.text
    # an English browser gets the page in English
    english = await post_html(
        gql, form, {"name": "Bob", "email": "bob@example.com"}, headers={"accept-language": "en-US,en"}
    )
    assert '<html lang="en">' in english.text and "<h1>Thank you!</h1>" in english.text
    assert "We received your details." in english.text
    # and the JSON answers too
    missing = await post_json(gql, "/f/nope", {"name": "x"}, headers={"accept-language": "en"})
    assert missing.json() == {"ok": False, "error": "NOT_FOUND", "message": "No such form."}
    refused = await post_html(gql, form, {"name": "Ana", "phone": "123"}, headers={"accept-language": "en"})
    assert refused.status_code == 422 and "<h1>Check your details</h1>" in refused.text
    assert "It could not be sent:" in refused.text


async def test_a_distribution_reason_is_read_in_each_users_language(gql, workspace):
    # given a lead distributed by round robin (stored once)
    (agent,) = await agents(workspace, 1)
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    lead = await contact(gql, workspace.token)
    made = await distribute(gql, workspace.token, queue["id"], contact_id=lead)
    assert made["assignment"]["reason"].startswith("ROUND_ROBIN: nenhuma atribuição anterior; a vez é de")
    # when an English admin and a pt-BR one read it
    english = await workspace.user("ADMIN")
    await _english(gql, english["token"])
    read_en = (await gql.ok(ASSIGNMENTS, token=english["token"]))["assignments"]["edges"][0]["node"]
    read_pt = (await gql.ok(ASSIGNMENTS, token=workspace.token))["assignments"]["edges"][0]["node"]
    # then each reads it in their own words
    assert read_en["reason"].startswith("ROUND_ROBIN: no previous assignment; next in turn is")
    assert read_en["reason"].endswith("Nobody skipped.")
    assert read_pt["reason"].startswith("ROUND_ROBIN: nenhuma atribuição anterior; a vez é de")
    assert read_pt["reason"].endswith("Ninguém foi pulado.")
