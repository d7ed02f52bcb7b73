"""Canned responses: ADMIN saves them under a shortCode unique in the
workspace; every member finds them by "/code" prefix or by words of their
title and body, at most 50, by shortCode."""

from __future__ import annotations

import pytest

from revgraph.resolvers.ids import encode_id
from tests.inbox.setup_support import events_of

CREATE = """
mutation($input: CannedResponseInput!) {
  createCannedResponse(input: $input) {
    cannedResponse { id shortCode title body } userErrors { code message field }
  }
}
"""
SEARCH = "query($search: String) { cannedResponses(search: $search) { shortCode } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on CannedResponse { shortCode title body } } }"

SAVED = [
    ("boas-vindas", "Boas-vindas", "Olá! Obrigado pelo contato com a Imobiliária."),
    ("boleto", "Segunda via do boleto", "Enviamos a segunda via do boleto por e-mail."),
    ("visita", "Agendar visita", "Podemos agendar uma visita ao decorado amanhã?"),
    ("documentos", "Documentos para financiamento", "Para o financiamento envie RG, CPF e holerites."),
]


async def create(gql, token, short_code, title="Título", body="Texto."):
    spec = {"shortCode": short_code, "title": title, "body": body}
    return (await gql.ok(CREATE, {"input": spec}, token=token))["createCannedResponse"]


async def saved(gql, token):
    for short_code, title, body in SAVED:
        payload = await create(gql, token, short_code, title, body)
        assert payload["userErrors"] == [], payload


async def codes(gql, token, search):
    return [
        r["shortCode"] for r in (await gql.ok(SEARCH, {"search": search}, token=token))["cannedResponses"]
    ]


async def test_an_admin_saves_a_canned_response_and_every_member_reads_it(gql, workspace):
    # given an agent
    agent = await workspace.user("AGENT")
    # when the admin saves one typed with its slash and in capitals
    payload = await create(gql, workspace.token, "/Boas-Vindas", "Boas-vindas", "Olá!\nComo posso ajudar?")
    # then it is kept lower-case, without the slash, lines kept
    response = payload["cannedResponse"]
    assert payload["userErrors"] == []
    assert (response["shortCode"], response["title"], response["body"]) == (
        "boas-vindas",
        "Boas-vindas",
        "Olá!\nComo posso ajudar?",
    )
    # and the agent finds it and opens it by node id
    assert await codes(gql, agent["token"], None) == ["boas-vindas"]
    assert (await gql.ok(NODE, {"id": response["id"]}, token=agent["token"]))["node"] == response
    # and the creation is on the log
    [event] = await events_of("canned_response.")
    assert event["summary"] == "Ana Admin criou a resposta pronta /boas-vindas (Boas-vindas)"


@pytest.mark.parametrize(
    ("search", "found"),
    [
        (None, ["boas-vindas", "boleto", "documentos", "visita"]),
        ("", ["boas-vindas", "boleto", "documentos", "visita"]),
        ("/", ["boas-vindas", "boleto", "documentos", "visita"]),
        ("/bo", ["boas-vindas", "boleto"]),
        ("/BOL", ["boleto"]),
        ("/x", []),
        # one word: a shortCode prefix, or a word of a title or body
        ("bo", ["boas-vindas", "boleto"]),
        ("financiamento", ["documentos"]),
        ("DECORADO", ["visita"]),
        # several words: every one in the title or body
        ("segunda via", ["boleto"]),
        ("via e-mail", ["boleto"]),
        ("visita boleto", []),
        ("  envie   CPF ", ["documentos"]),
    ],
)
async def test_canned_responses_are_found_by_shortcode_prefix_or_by_words(gql, workspace, search, found):
    await saved(gql, workspace.token)
    agent = await workspace.user("AGENT")
    assert await codes(gql, agent["token"], search) == found


async def test_a_prefix_search_treats_like_wildcards_as_text(gql, workspace):
    await create(gql, workspace.token, "a_b")
    await create(gql, workspace.token, "axb")
    assert await codes(gql, workspace.token, "/a_") == ["a_b"]


async def test_at_most_fifty_are_listed_by_shortcode(gql, workspace):
    for number in range(55):
        payload = await create(gql, workspace.token, f"r{number:02d}")
        assert payload["userErrors"] == []
    listed = await codes(gql, workspace.token, "/r")
    assert listed == [f"r{n:02d}" for n in range(50)]


async def test_a_search_too_long_is_refused(gql, workspace):
    body = await gql(SEARCH, {"search": "x" * 257}, token=workspace.token)
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": ["search"]}


async def test_a_shortcode_is_unique_in_the_workspace_ignoring_case(gql, workspace, other_workspace):
    # given a canned response, and one with the same code in another workspace
    await create(gql, workspace.token, "boleto", "Boleto", "Segue o boleto.")
    theirs = await create(gql, other_workspace.token, "boleto")
    assert theirs["userErrors"] == []
    # when the admin saves another under the same code, in other case or with a slash
    for code in ("boleto", "/BOLETO"):
        payload = await create(gql, workspace.token, code, "Outro", "Outro texto.")
        # then it is DUPLICATE on the shortCode, and the first one is unchanged
        assert payload["cannedResponse"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("DUPLICATE", ["input", "shortCode"])
        ]
    found = (await gql.ok("query { cannedResponses { title body } }", token=workspace.token))[
        "cannedResponses"
    ]
    assert found == [{"title": "Boleto", "body": "Segue o boleto."}]
    assert len(await events_of("canned_response.")) == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"shortCode": ""}, ["input", "shortCode"]),
        ({"shortCode": "/"}, ["input", "shortCode"]),
        ({"shortCode": "boas vindas"}, ["input", "shortCode"]),
        ({"shortCode": "promoção"}, ["input", "shortCode"]),
        ({"shortCode": "x" * 65}, ["input", "shortCode"]),
        ({"shortCode": "//duas"}, ["input", "shortCode"]),
        ({"title": " "}, ["input", "title"]),
        ({"title": "Duas\nlinhas"}, ["input", "title"]),
        ({"body": ""}, ["input", "body"]),
        ({"body": "x" * 4097}, ["input", "body"]),
    ],
)
async def test_a_bad_canned_response_is_refused_on_its_field(gql, workspace, fields, field):
    spec = {"shortCode": "ok", "title": "Título", "body": "Texto.", **fields}
    payload = (await gql.ok(CREATE, {"input": spec}, token=workspace.token))["createCannedResponse"]
    assert payload["cannedResponse"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", field)]
    assert await codes(gql, workspace.token, None) == []
    assert await events_of("canned_response.") == []


@pytest.mark.parametrize("role", ["AGENT", "MANAGER"])
async def test_only_an_admin_creates_them(gql, workspace, role):
    member = await workspace.user(role)
    spec = {"shortCode": "oi", "title": "Oi", "body": "Oi!"}
    body = await gql(CREATE, {"input": spec}, token=member["token"])
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await codes(gql, workspace.token, None) == []


async def test_another_workspaces_canned_responses_are_invisible(gql, workspace, other_workspace):
    theirs = (await create(gql, other_workspace.token, "segredo"))["cannedResponse"]
    assert await codes(gql, workspace.token, "/seg") == []
    assert (await gql.ok(NODE, {"id": theirs["id"]}, token=workspace.token))["node"] is None
    unknown = encode_id("CannedResponse", 2**31 - 2)
    assert (await gql.ok(NODE, {"id": unknown}, token=workspace.token))["node"] is None
