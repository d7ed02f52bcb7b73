"""The language people read: their own setting, else the workspace's
default, else Accept-Language; pt-BR when nothing says otherwise. Codes stay
machine names; messages and timeline summaries follow the reader."""

from __future__ import annotations

from revgraph.models.events import Event
from revgraph.resolvers.ids import pk_of
from tests.graph.documents import TIMELINE, create_contact
from tests.pipeline.support import create_deal, create_pipeline, move
from tests.support import LOG_IN

SET_MY_LOCALE = """
mutation SetMyLocale($locale: String) {
  setMyLocale(locale: $locale) { user { id locale } userErrors { code message field } }
}
"""
ME = "query { me { id locale } }"
UPDATE_WORKSPACE = """
mutation UpdateWorkspace($input: WorkspaceInput!) {
  updateWorkspace(input: $input) { workspace { defaultLocale } userErrors { code message field } }
}
"""
WRONG_LOGIN = {
    "query": LOG_IN,
    "variables": {"input": {"email": "nobody@example.com", "password": "nope-nope"}},
}


async def _log_in_error(gql, headers=None):
    response = await gql.raw(WRONG_LOGIN, headers=headers)
    assert response.status_code == 200, response.text
    [error] = response.json()["data"]["logIn"]["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "password"])
    return error


async def test_the_login_error_is_pt_br_by_default_and_english_when_the_browser_asks(gql):
    # given no credentials and no language asked for: pt-BR
    error = await _log_in_error(gql)
    assert error["message"] == "E-mail ou senha incorretos."
    # when the browser prefers English: English, with the same code
    english = await _log_in_error(gql, {"accept-language": "en-US,en;q=0.9,pt;q=0.5"})
    assert english["message"] == "Wrong e-mail or password."
    # and a language the catalogue lacks falls back to pt-BR
    assert (await _log_in_error(gql, {"accept-language": "fr-FR"}))["message"] == error["message"]


async def test_a_users_own_language_wins_over_the_browser_and_the_workspace(gql, workspace):
    # given an agent whose browser asks for pt-BR
    agent = await workspace.user("AGENT", name="Bia")
    # when they choose English
    data = await gql.ok(SET_MY_LOCALE, {"locale": "en"}, token=agent["token"])
    assert data["setMyLocale"] == {"user": {"id": agent["id"], "locale": "en"}, "userErrors": []}
    assert (await gql.ok(ME, token=agent["token"]))["me"]["locale"] == "en"
    # then a refusal they cause reads in English, even with Accept-Language pt-BR
    response = await gql.raw(
        {"query": SET_MY_LOCALE, "variables": {"locale": "es"}},
        token=agent["token"],
        headers={"accept-language": "pt-BR"},
    )
    [error] = response.json()["data"]["setMyLocale"]["userErrors"]
    assert error == {"code": "INVALID", "message": "Language is one of pt-BR, en.", "field": ["locale"]}
    # and the unsupported language changed nothing
    assert (await gql.ok(ME, token=agent["token"]))["me"]["locale"] == "en"
    # when they clear it, they read the workspace's language again (pt-BR)
    await gql.ok(SET_MY_LOCALE, {"locale": None}, token=agent["token"])
    response = await gql.raw(
        {"query": SET_MY_LOCALE, "variables": {"locale": "es"}},
        token=agent["token"],
        headers={"accept-language": "en"},
    )
    [error] = response.json()["data"]["setMyLocale"]["userErrors"]
    assert error["message"] == "O idioma é um de pt-BR, en."


async def test_the_workspace_default_applies_to_users_without_a_setting(gql, workspace):
    # given a workspace whose default language is English
    data = await gql.ok(UPDATE_WORKSPACE, {"input": {"defaultLocale": "en"}}, token=workspace.token)
    assert data["updateWorkspace"]["workspace"]["defaultLocale"] == "en"
    agent = await workspace.user("AGENT")
    # then its users read English without asking
    data = await gql.ok(SET_MY_LOCALE, {"locale": "xx"}, token=agent["token"])
    assert data["setMyLocale"]["userErrors"][0]["message"] == "Language is one of pt-BR, en."


async def test_a_stage_gate_refusal_is_pt_br(gql, workspace):
    # given a deal before a stage that requires a scheduled task
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    # when it is moved there without one
    result = await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Visita agendada"])
    # then the refusal keeps its code and says what to do in pt-BR
    [error] = result["userErrors"]
    assert error["code"] == "RULE_VIOLATION"
    assert error["message"] == (
        "Visita agendada exige uma tarefa agendada: crie uma tarefa em aberto com prazo futuro "
        "no negócio ou no contato dele."
    )


async def test_one_stored_event_reads_in_each_readers_language(gql, workspace):
    # given a contact created by the admin (the workspace speaks pt-BR)
    contact = await create_contact(gql, workspace.token, name="João Pereira")
    # and another administrator who reads English
    manager = await workspace.user("ADMIN", name="Mia")
    await gql.ok(SET_MY_LOCALE, {"locale": "en"}, token=manager["token"])
    # when both read the contact's timeline
    pt = await gql.ok(TIMELINE, {"id": contact["id"]}, token=workspace.token)
    en = await gql.ok(TIMELINE, {"id": contact["id"]}, token=manager["token"])
    [pt_event] = [e["node"] for e in pt["contact"]["timeline"]["edges"]]
    [en_event] = [e["node"] for e in en["contact"]["timeline"]["edges"]]
    # then the same event reads in each one's language, with the same kind and data
    assert pt_event["id"] == en_event["id"] and pt_event["kind"] == en_event["kind"] == "contact.created"
    assert pt_event["summary"] == "Ana Admin criou o contato João Pereira"
    assert en_event["summary"] == "Ana Admin created contact João Pereira"
    assert pt_event["data"] == en_event["data"] and "summaryMessage" not in pt_event["data"]
    # and the row keeps the summary in the workspace's language (search, webhooks)
    row = await Event.get(id=pk_of(pt_event["id"], "TimelineEvent"))
    assert row.summary == "Ana Admin criou o contato João Pereira"


async def test_an_old_event_without_a_message_reads_as_stored(gql, workspace):
    # given an event recorded before summaries kept their message
    contact = await create_contact(gql, workspace.token, name="Carla Dias")
    data = await gql.ok(TIMELINE, {"id": contact["id"]}, token=workspace.token)
    pk = pk_of(data["contact"]["timeline"]["edges"][0]["node"]["id"], "TimelineEvent")
    await Event.filter(id=pk).update(summary="Ana Admin created contact Carla Dias", data={"contact": {}})
    # then every reader sees the stored text
    data = await gql.ok(TIMELINE, {"id": contact["id"]}, token=workspace.token)
    assert (
        data["contact"]["timeline"]["edges"][0]["node"]["summary"] == "Ana Admin created contact Carla Dias"
    )
