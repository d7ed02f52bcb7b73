"""An inbox's message templates: ADMIN saves them by (name, language), a
second save replacing the body; placeholders {{1}}..{{n}} without gaps
give the variable count; bad input is refused on its field."""

from __future__ import annotations

import pytest

from revgraph.resolvers.ids import encode_id
from tests.inbox.setup_support import INBOX_FIELDS, create_inbox, events_of

UPSERT = f"""
mutation($inboxId: ID!, $input: MessageTemplateInput!) {{
  upsertMessageTemplate(inboxId: $inboxId, input: $input) {{
    inbox {{ {INBOX_FIELDS} }} userErrors {{ code message field }}
  }}
}}
"""
TEMPLATES = "query { inboxes { name templates { name language body variableCount } } }"
GREETING = "Olá {{1}}, seu imóvel {{2}} tem visita em {{3}}."


async def upsert(gql, token, inbox_id, **fields):
    spec = {"name": "visita", "language": "pt_BR", "body": GREETING, **fields}
    return (await gql.ok(UPSERT, {"inboxId": inbox_id, "input": spec}, token=token))["upsertMessageTemplate"]


async def test_templates_are_saved_by_name_and_language_and_a_second_save_replaces_the_body(gql, workspace):
    # given a WhatsApp inbox and an agent
    agent = await workspace.user("AGENT")
    inbox = await create_inbox(gql, workspace.token)
    # when the admin saves a template with three placeholders
    saved = await upsert(gql, workspace.token, inbox["id"])
    # then the inbox lists it with its variable count
    assert saved["userErrors"] == []
    assert saved["inbox"]["templates"] == [
        {"name": "visita", "language": "pt_BR", "body": GREETING, "variableCount": 3}
    ]
    # when the same name is saved in English, and again in pt_BR with one placeholder
    await upsert(gql, workspace.token, inbox["id"], language="en_US", body="Hi {{1}}!")
    again = await upsert(gql, workspace.token, inbox["id"], body="Oi {{1}}, podemos falar?")
    # then pt_BR was replaced and en_US added beside it; the agent reads both
    expected = [
        {"name": "visita", "language": "en_US", "body": "Hi {{1}}!", "variableCount": 1},
        {"name": "visita", "language": "pt_BR", "body": "Oi {{1}}, podemos falar?", "variableCount": 1},
    ]
    assert again["inbox"]["templates"] == expected
    assert (await gql.ok(TEMPLATES, token=agent["token"]))["inboxes"] == [
        {"name": "WhatsApp Vendas", "templates": expected}
    ]
    # and each save is on the log, while saving the same body again records nothing
    same = await upsert(gql, workspace.token, inbox["id"], body="Oi {{1}}, podemos falar?")
    assert same["userErrors"] == [] and same["inbox"]["templates"] == expected
    events = await events_of("message_template.")
    assert [e["summary"] for e in events] == [
        "Ana Admin adicionou o modelo visita (pt_BR) da caixa de entrada WhatsApp Vendas",
        "Ana Admin adicionou o modelo visita (en_US) da caixa de entrada WhatsApp Vendas",
        "Ana Admin alterou o modelo visita (pt_BR) da caixa de entrada WhatsApp Vendas",
    ]
    assert [e["data"]["variableCount"] for e in events] == [3, 1, 1]


@pytest.mark.parametrize(
    ("body", "count"),
    [
        ("Sem variáveis.", 0),
        ("{{1}} e {{1}} de novo", 1),
        ("{{2}} antes de {{1}}", 2),
        ("{{1}}{{2}}{{3}}{{4}}", 4),
    ],
)
async def test_the_variable_count_is_the_highest_placeholder(gql, workspace, body, count):
    inbox = await create_inbox(gql, workspace.token, channel="API", name="API")
    saved = await upsert(gql, workspace.token, inbox["id"], body=body)
    assert saved["userErrors"] == []
    assert saved["inbox"]["templates"][0]["variableCount"] == count


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"body": "Olá {{1}}, visita em {{3}}."}, ["input", "body"]),
        ({"body": "Olá {{2}}."}, ["input", "body"]),
        ({"body": "Olá {{0}}."}, ["input", "body"]),
        ({"body": "   "}, ["input", "body"]),
        ({"body": "x" * 4097}, ["input", "body"]),
        ({"language": "português"}, ["input", "language"]),
        ({"language": "pt_BR_"}, ["input", "language"]),
        ({"language": "pt_BR_com_variante_longa"}, ["input", "language"]),
        ({"name": ""}, ["input", "name"]),
    ],
)
async def test_a_bad_template_is_refused_on_its_field_and_nothing_is_saved(gql, workspace, fields, field):
    # given an inbox with one template
    inbox = await create_inbox(gql, workspace.token)
    await upsert(gql, workspace.token, inbox["id"])
    # when the admin saves a template with one bad value
    payload = await upsert(gql, workspace.token, inbox["id"], **fields)
    # then it is INVALID on that field, and the templates are as they were
    assert payload["inbox"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", field)]
    [listed] = (await gql.ok(TEMPLATES, token=workspace.token))["inboxes"]
    assert listed["templates"] == [
        {"name": "visita", "language": "pt_BR", "body": GREETING, "variableCount": 3}
    ]
    assert len(await events_of("message_template.")) == 1


@pytest.mark.parametrize("language", ["pt_BR", "en_US", "pt-BR", "en", "es_419"])
async def test_language_codes_are_read_loosely(gql, workspace, language):
    inbox = await create_inbox(gql, workspace.token)
    saved = await upsert(gql, workspace.token, inbox["id"], language=language)
    assert saved["userErrors"] == [] and saved["inbox"]["templates"][0]["language"] == language


async def test_another_workspaces_inbox_is_not_found_and_agents_may_not_save(gql, workspace, other_workspace):
    # given their inbox, mine and an agent of mine
    theirs = await create_inbox(gql, other_workspace.token)
    mine = await create_inbox(gql, workspace.token)
    agent = await workspace.user("AGENT")
    # when I save a template into theirs, or into a random id
    for inbox_id in (theirs["id"], encode_id("Inbox", 2**31 - 2)):
        payload = await upsert(gql, workspace.token, inbox_id)
        # then it is NOT_FOUND on the inbox id
        assert payload["userErrors"] == [
            {
                "code": "NOT_FOUND",
                "message": "Caixa de entrada: registro não encontrado.",
                "field": ["inboxId"],
            }
        ]
    # and my agent may not save one into mine
    spec = {"name": "visita", "language": "pt_BR", "body": GREETING}
    body = await gql(UPSERT, {"inboxId": mine["id"], "input": spec}, token=agent["token"])
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    # and no template was saved anywhere
    assert await events_of("message_template.") == []
    assert (await gql.ok(TEMPLATES, token=other_workspace.token))["inboxes"][0]["templates"] == []
