"""Setting an inbox's bot flow: checked as a graph with every problem on
its path, stored as versions, read by admins only, removed."""

from tests.chatbot.support import INBOX_FLOW, REMOVE_FLOW, SET_FLOW, SIMPLE_FLOW, set_flow
from tests.distribution.support import create_queue
from tests.inbox.support import create_inbox

BROKEN_FLOW = {
    "start": "ola",
    "nodes": [
        {"id": "ola", "kind": "MESSAGE", "text": "Olá!", "next": "volta"},
        # A cycle with no question: ola → volta → ola.
        {
            "id": "volta",
            "kind": "CONDITION",
            "rules": [
                {"source": "BUSINESS_HOURS", "operator": "IS_OPEN", "next": "ola"},
                {"source": "ANSWER", "key": "ola", "operator": "EQUALS", "value": "x", "next": "menu"},
            ],
            "otherwise": "menu",
        },
        {
            "id": "menu",
            "kind": "QUESTION",
            "text": "Escolha",
            "display": "BUTTONS",
            "options": [
                {"label": "Um", "next": "fim"},
                {"label": "Dois", "next": "fim"},
                {"label": "Três", "next": "nada"},
                {"label": "Quatro", "next": "fim"},
            ],
        },
        {"id": "menu", "kind": "END"},
        {
            "id": "fim",
            "kind": "COLLECT",
            "text": "Qual?",
            "field": "CUSTOM",
            "customFieldKey": "nao_existe",
            "next": "fim2",
        },
        {"id": "fim2", "kind": "END", "next": "ola"},
        {"id": "solto", "kind": "END", "text": "Ninguém chega aqui."},
    ],
}


async def test_a_broken_flow_is_refused_with_every_problem_on_its_path(gql, workspace):
    # given an inbox without a flow
    inbox = await create_inbox(gql, workspace.token)
    # when an admin sets a flow with many mistakes
    payload = (await gql.ok(SET_FLOW, {"inboxId": inbox["id"], "input": BROKEN_FLOW}, token=workspace.token))[
        "setInboxFlow"
    ]
    # then each is an INVALID userError on its path, and nothing is stored
    problems = {tuple(e["field"]) for e in payload["userErrors"]}
    assert {e["code"] for e in payload["userErrors"]} == {"INVALID"}
    assert problems == {
        ("input", "nodes", "1", "rules", "1", "key"),  # "ola" is not a question
        ("input", "nodes", "2", "options"),  # four buttons
        ("input", "nodes", "2", "options", "2", "next"),  # "nada" does not exist
        ("input", "nodes", "3", "id"),  # "menu" twice
        ("input", "nodes", "4", "customFieldKey"),  # no such custom field
        ("input", "nodes", "5", "next"),  # an END has no next
        ("input", "nodes", "6", "id"),  # "solto" is unreachable
        ("input", "nodes", "0", "id"),  # the silent cycle ola → volta → ola
    }, payload["userErrors"]
    cycle = next(e for e in payload["userErrors"] if e["field"] == ["input", "nodes", "0", "id"])
    assert "ola → volta → ola" in cycle["message"]
    assert payload["flow"] is None
    flows = (await gql.ok(INBOX_FLOW, token=workspace.token))["inboxes"]
    assert flows == [{"id": inbox["id"], "flow": None}]


async def test_flows_are_versioned_admin_only_and_removable(gql, workspace):
    # given an inbox and an agent
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    inbox = await create_inbox(gql, workspace.token, queue_id=queue["id"])
    # when an admin sets a flow, then replaces it
    first = await set_flow(gql, workspace.token, inbox["id"], SIMPLE_FLOW)
    second = await set_flow(gql, workspace.token, inbox["id"], {**SIMPLE_FLOW, "handOffKeywords": ["humano"]})
    # then they are versions 1 and 2, and the inbox reads the active one
    assert (first["version"], second["version"]) == (1, 2)
    read = (await gql.ok(INBOX_FLOW, token=workspace.token))["inboxes"][0]["flow"]
    assert read["version"] == 2 and read["definition"]["handOffKeywords"] == ["humano"]
    assert [n["id"] for n in read["definition"]["nodes"]] == [n["id"] for n in SIMPLE_FLOW["nodes"]]
    # and an agent may neither read nor set it
    denied = await gql(INBOX_FLOW, token=agent["token"])
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await gql(SET_FLOW, {"inboxId": inbox["id"], "input": SIMPLE_FLOW}, token=agent["token"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # when the admin removes it, the inbox has none; removing again is NOT_FOUND
    removed = (await gql.ok(REMOVE_FLOW, {"inboxId": inbox["id"]}, token=workspace.token))["removeInboxFlow"]
    assert removed == {"flow": None, "userErrors": []}
    assert (await gql.ok(INBOX_FLOW, token=workspace.token))["inboxes"][0]["flow"] is None
    again = (await gql.ok(REMOVE_FLOW, {"inboxId": inbox["id"]}, token=workspace.token))["removeInboxFlow"]
    assert again["userErrors"] == [{"code": "NOT_FOUND", "field": ["inboxId"]}]
    # and a new version after that is 3
    assert (await set_flow(gql, workspace.token, inbox["id"], SIMPLE_FLOW))["version"] == 3


async def test_options_rules_and_keywords_are_checked_one_by_one(gql, workspace):
    inbox = await create_inbox(gql, workspace.token, channel="WHATSAPP")
    flow = {
        "start": "menu",
        "handOffKeywords": ["atendente", " "],
        "nodes": [
            {
                "id": "menu",
                "kind": "QUESTION",
                "text": "Escolha uma opção",
                "display": "LIST",
                "retryLimit": 9,
                "options": [
                    {"label": "Comprar", "next": "regra"},
                    {"label": "cómprar", "next": "regra"},
                    {"label": "2", "next": "regra"},
                    {"label": "Uma opção longa demais para lista", "next": "regra"},
                    {"label": "...", "next": "regra"},
                ],
            },
            {
                "id": "regra",
                "kind": "CONDITION",
                "rules": [
                    {"source": "BUSINESS_HOURS", "operator": "EQUALS", "value": "x", "next": "fim"},
                    {"source": "ANSWER", "key": "menu", "operator": "CONTAINS", "next": "fim"},
                    {"source": "CONTACT_FIELD", "key": "cpf", "operator": "IS_SET", "next": "fim"},
                ],
                "otherwise": "fim",
            },
            {"id": "fim", "kind": "HANDOFF", "reason": " "},
        ],
    }
    payload = (await gql.ok(SET_FLOW, {"inboxId": inbox["id"], "input": flow}, token=workspace.token))[
        "setInboxFlow"
    ]
    assert sorted(tuple(e["field"]) for e in payload["userErrors"]) == sorted(
        [
            ("input", "nodes", "0", "retryLimit"),
            ("input", "nodes", "0", "options", "1", "label"),  # the same as "Comprar", accents aside
            ("input", "nodes", "0", "options", "2", "label"),  # a bare number
            ("input", "nodes", "0", "options", "3", "label"),  # over 24 characters
            ("input", "nodes", "1", "rules", "0", "operator"),  # hours compare with IS_OPEN/IS_CLOSED
            ("input", "nodes", "1", "rules", "1", "value"),  # CONTAINS what?
            ("input", "nodes", "1", "rules", "2", "key"),  # no such contact field
            ("input", "nodes", "2", "reason"),
            ("input", "nodes", "0", "options", "4", "label"),  # nothing but punctuation
            ("input", "handOffKeywords", "1"),
        ]
    ), payload["userErrors"]
    assert (await gql.ok(INBOX_FLOW, token=workspace.token))["inboxes"][0]["flow"] is None
