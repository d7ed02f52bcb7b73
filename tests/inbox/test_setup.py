"""The inbox's setup: ADMIN creates SLA policies and inboxes (a channel, the
queue that routes them, business hours, a policy, write-only credentials)
and changes them; every member reads them; bad input is refused on its
exact field with nothing changed; another workspace's queues and policies
are ids like random ones."""

from __future__ import annotations

import json

import pytest

from revgraph.models.inbox import Inbox as InboxRow
from revgraph.resolvers.ids import decode_id, encode_id
from tests.distribution.support import create_queue
from tests.inbox.setup_support import (
    CREATE_INBOX,
    CREATE_POLICY,
    INBOX_FIELDS,
    POLICY_FIELDS,
    create_inbox,
    create_policy,
    events_of,
)

UPDATE_INBOX = f"""
mutation($id: ID!, $input: InboxUpdateInput!) {{
  updateInbox(id: $id, input: $input) {{ inbox {{ {INBOX_FIELDS} }} userErrors {{ code message field }} }}
}}
"""
INBOXES = f"query {{ inboxes {{ {INBOX_FIELDS} }} }}"
POLICIES = f"query {{ slaPolicies {{ {POLICY_FIELDS} }} }}"
NODE = f"""
query($id: ID!) {{
  node(id: $id) {{ id ... on Inbox {{ {INBOX_FIELDS} }} ... on SlaPolicy {{ {POLICY_FIELDS} }} }}
}}
"""
INBOX_TYPE = 'query { __type(name: "Inbox") { fields { name } } }'
ARCHIVE_QUEUE = "mutation($id: ID!) { archiveQueue(id: $id) { userErrors { code } } }"
RECEIVE = """
mutation($input: ReceiveMessageInput!) {
  receiveMessage(input: $input) { conversation { id } userErrors { code message field } }
}
"""
CONVERSATION_SLA = "query($id: ID!) { conversation(id: $id) { sla { state policy { name } } } }"
BY_SLA_STATE = """
query($states: [SlaState!]) { conversations(filter: {slaState: $states}) { edges { node { id } } } }
"""
UNKNOWN_QUEUE = encode_id("Queue", 2**31 - 2)

HOURS = {
    "timezone": "America/Sao_Paulo",
    "days": [
        {"weekday": 2, "opens": "08:00", "closes": "18:00"},
        {"weekday": 1, "opens": "13:00", "closes": "18:00"},
        {"weekday": 1, "opens": "08:00", "closes": "12:00"},
    ],
    "holidays": ["2026-12-25", "2026-01-01"],
}
SECRET = "EAAG-very-secret-token-4821"


# ------------------------------------------------------------------ SLA policies


async def test_an_admin_creates_an_sla_policy_and_every_member_reads_it(gql, workspace):
    # given an agent of the workspace
    agent = await workspace.user("AGENT")
    # when the admin creates a policy without a warning time
    policy = await create_policy(
        gql, workspace.token, name="Atendimento", firstResponseMinutes=15, resolutionMinutes=480
    )
    # then its targets are kept, the warning defaults to 15 minutes
    assert {k: v for k, v in policy.items() if k != "id"} == {
        "name": "Atendimento",
        "firstResponseMinutes": 15,
        "nextResponseMinutes": None,
        "resolutionMinutes": 480,
        "businessHoursOnly": False,
        "warnBeforeMinutes": 15,
    }
    # and the agent lists it and opens it by node id
    assert (await gql.ok(POLICIES, token=agent["token"]))["slaPolicies"] == [policy]
    assert (await gql.ok(NODE, {"id": policy["id"]}, token=agent["token"]))["node"] == policy
    # and the creation is on the log
    [event] = await events_of("sla_policy.")
    assert event["kind"] == "sla_policy.created"
    assert event["summary"] == "Ana Admin criou a política de SLA Atendimento"
    assert event["data"]["slaPolicy"]["resolutionMinutes"] == 480


async def test_a_policy_may_warn_at_the_deadline_itself(gql, workspace):
    policy = await create_policy(
        gql, workspace.token, nextResponseMinutes=60, warnBeforeMinutes=0, businessHoursOnly=True
    )
    assert (policy["warnBeforeMinutes"], policy["businessHoursOnly"]) == (0, True)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"firstResponseMinutes": None}, ["input", "firstResponseMinutes"]),
        ({"firstResponseMinutes": 0}, ["input", "firstResponseMinutes"]),
        ({"firstResponseMinutes": -5}, ["input", "firstResponseMinutes"]),
        ({"nextResponseMinutes": 0}, ["input", "nextResponseMinutes"]),
        ({"resolutionMinutes": 527_041}, ["input", "resolutionMinutes"]),
        ({"warnBeforeMinutes": -1}, ["input", "warnBeforeMinutes"]),
        ({"name": "   "}, ["input", "name"]),
        ({"name": "x" * 201}, ["input", "name"]),
    ],
)
async def test_a_bad_sla_policy_is_refused_on_its_field_and_nothing_is_created(gql, workspace, fields, field):
    # when the admin sends a policy with one bad value
    spec = {"name": "Padrão", "firstResponseMinutes": 30, "businessHoursOnly": False, **fields}
    payload = (await gql.ok(CREATE_POLICY, {"input": spec}, token=workspace.token))["createSlaPolicy"]
    # then it is INVALID on that field
    assert payload["slaPolicy"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", field)]
    # and nothing was created or logged
    assert (await gql.ok(POLICIES, token=workspace.token))["slaPolicies"] == []
    assert await events_of("sla_policy.") == []


# ------------------------------------------------------------------ inboxes


async def test_an_admin_creates_a_whatsapp_inbox_and_every_member_reads_it(gql, workspace):
    # given a queue and a policy
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    policy = await create_policy(gql, workspace.token)
    # when the admin creates a WhatsApp inbox with business hours and credentials
    inbox = await create_inbox(
        gql,
        workspace.token,
        queueId=queue["id"],
        slaPolicyId=policy["id"],
        businessHours=HOURS,
        settings=_whatsapp(SECRET),
    )
    # then it routes through the queue under the policy, with a 24-hour window
    assert (inbox["name"], inbox["channel"], inbox["replyWindowHours"]) == ("WhatsApp Vendas", "WHATSAPP", 24)
    assert inbox["queue"] == {"id": queue["id"], "name": "Roleta SP"}
    assert inbox["slaPolicy"] == {"id": policy["id"], "name": "Padrão"}
    assert inbox["templates"] == []
    # and its business hours are normalised: intervals in order, holidays in order
    assert inbox["businessHours"] == {
        "timezone": "America/Sao_Paulo",
        "days": [
            {"weekday": 1, "opens": "08:00", "closes": "12:00"},
            {"weekday": 1, "opens": "13:00", "closes": "18:00"},
            {"weekday": 2, "opens": "08:00", "closes": "18:00"},
        ],
        "holidays": ["2026-01-01", "2026-12-25"],
    }
    # and the agent lists it and opens it by node id
    assert (await gql.ok(INBOXES, token=agent["token"]))["inboxes"] == [inbox]
    assert (await gql.ok(NODE, {"id": inbox["id"]}, token=agent["token"]))["node"] == inbox
    # and the creation is on the log
    [event] = await events_of("inbox.")
    assert event["kind"] == "inbox.created"
    assert event["summary"] == "Ana Admin criou a caixa de entrada WHATSAPP WhatsApp Vendas"
    assert event["data"]["inbox"]["queueId"] == queue["id"]


@pytest.mark.parametrize("channel", ["INSTAGRAM", "WEBCHAT", "EMAIL", "SMS", "API"])
async def test_only_whatsapp_has_a_reply_window(gql, workspace, channel):
    inbox = await create_inbox(gql, workspace.token, name=f"Canal {channel}", channel=channel)
    assert (inbox["channel"], inbox["replyWindowHours"], inbox["queue"], inbox["businessHours"]) == (
        channel,
        None,
        None,
        None,
    )


def _hours(**changes):
    return {**HOURS, **changes}


BAD_DAY = {"weekday": 1, "opens": "18:00", "closes": "08:00"}
BAD_INBOXES = [
    ({"name": " "}, ["input", "name"]),
    ({"businessHours": _hours(days=[BAD_DAY])}, ["input", "businessHours", "days", "0", "opens"]),
    (
        {"businessHours": _hours(days=[{"weekday": 1, "opens": "8h", "closes": "18:00"}])},
        ["input", "businessHours", "days", "0", "opens"],
    ),
    (
        {"businessHours": _hours(days=[{"weekday": 8, "opens": "08:00", "closes": "18:00"}])},
        ["input", "businessHours", "days", "0", "weekday"],
    ),
    (
        {
            "businessHours": _hours(
                days=[
                    {"weekday": 3, "opens": "08:00", "closes": "12:00"},
                    {"weekday": 3, "opens": "11:00", "closes": "18:00"},
                ]
            )
        },
        ["input", "businessHours", "days", "1"],
    ),
    ({"businessHours": _hours(timezone="America/Sao Paulo")}, ["input", "businessHours", "timezone"]),
    ({"businessHours": _hours(days=[])}, ["input", "businessHours", "days"]),
    ({"settings": ["token"]}, ["input", "settings"]),
    ({"settings": "token"}, ["input", "settings"]),
    ({"settings": {"accessToken": "x" * 17_000}}, ["input", "settings"]),
]


@pytest.mark.parametrize(("fields", "field"), BAD_INBOXES)
async def test_a_bad_inbox_is_refused_on_its_field_and_nothing_is_created(gql, workspace, fields, field):
    # when the admin sends an inbox with one bad value
    spec = {"name": "Chat do site", "channel": "WEBCHAT", **fields}
    payload = (await gql.ok(CREATE_INBOX, {"input": spec}, token=workspace.token))["createInbox"]
    # then it is INVALID on that field
    assert payload["inbox"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", field)]
    # and nothing was created or logged
    assert (await gql.ok(INBOXES, token=workspace.token))["inboxes"] == []
    assert await events_of("inbox.") == []


async def test_an_inbox_name_is_unique_in_the_workspace_ignoring_case(gql, workspace, other_workspace):
    # given an inbox, and one with the same name in another workspace
    first = await create_inbox(gql, workspace.token, name="Vendas")
    await create_inbox(gql, other_workspace.token, name="Vendas")
    second = await create_inbox(gql, workspace.token, name="Pós-venda", channel="EMAIL")
    before = await gql.ok(INBOXES, token=workspace.token)
    # when the admin creates another, or renames one, with its name in other case
    created = (
        await gql.ok(CREATE_INBOX, {"input": {"name": "VENDAS", "channel": "SMS"}}, token=workspace.token)
    )["createInbox"]
    renamed = (
        await gql.ok(UPDATE_INBOX, {"id": second["id"], "input": {"name": "vendas"}}, token=workspace.token)
    )["updateInbox"]
    # then both are DUPLICATE on the name and nothing changed
    for payload in (created, renamed):
        assert payload["inbox"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("DUPLICATE", ["input", "name"])]
    assert await gql.ok(INBOXES, token=workspace.token) == before
    # while an inbox keeps its own name in another case
    again = (
        await gql.ok(UPDATE_INBOX, {"id": first["id"], "input": {"name": "VENDAS"}}, token=workspace.token)
    )["updateInbox"]
    assert again["userErrors"] == [] and again["inbox"]["name"] == "VENDAS"


async def test_an_update_changes_only_the_fields_sent(gql, workspace):
    # given an inbox with a queue, a policy and business hours
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    policy = await create_policy(gql, workspace.token)
    inbox = await create_inbox(
        gql, workspace.token, queueId=queue["id"], slaPolicyId=policy["id"], businessHours=HOURS
    )
    # when the admin renames it
    renamed = (
        await gql.ok(UPDATE_INBOX, {"id": inbox["id"], "input": {"name": "WhatsApp"}}, token=workspace.token)
    )["updateInbox"]
    # then only the name changed
    assert renamed["userErrors"] == []
    assert renamed["inbox"] == {**inbox, "name": "WhatsApp"}
    # when the admin clears the queue and the business hours
    cleared = (
        await gql.ok(
            UPDATE_INBOX,
            {"id": inbox["id"], "input": {"queueId": None, "businessHours": None}},
            token=workspace.token,
        )
    )["updateInbox"]
    # then those are gone, the rest kept
    assert cleared["inbox"] == {**inbox, "name": "WhatsApp", "queue": None, "businessHours": None}
    # and each change is on the log with what it changed
    updates = [e for e in await events_of("inbox.") if e["kind"] == "inbox.updated"]
    assert [e["summary"] for e in updates] == [
        "Ana Admin alterou nome da caixa de entrada WhatsApp",
        "Ana Admin alterou fila e horário de atendimento da caixa de entrada WhatsApp",
    ]
    assert updates[0]["data"]["changes"] == {"name": {"from": "WhatsApp Vendas", "to": "WhatsApp"}}
    assert updates[1]["data"]["changes"]["queueId"] == {"from": queue["id"], "to": None}
    # and sending what it already holds changes nothing and logs nothing
    same = (
        await gql.ok(UPDATE_INBOX, {"id": inbox["id"], "input": {"name": "WhatsApp"}}, token=workspace.token)
    )["updateInbox"]
    assert same["userErrors"] == [] and same["inbox"] == cleared["inbox"]
    assert len([e for e in await events_of("inbox.") if e["kind"] == "inbox.updated"]) == 2


async def test_a_bad_update_is_refused_on_its_field_and_changes_nothing(gql, workspace):
    # given an inbox
    inbox = await create_inbox(gql, workspace.token, businessHours=HOURS)
    # when the admin sends bad business hours together with a new name
    payload = (
        await gql.ok(
            UPDATE_INBOX,
            {"id": inbox["id"], "input": {"name": "Novo", "businessHours": _hours(days=[BAD_DAY])}},
            token=workspace.token,
        )
    )["updateInbox"]
    # then it is refused on the interval and the name did not change either
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID", ["input", "businessHours", "days", "0", "opens"])
    ]
    assert (await gql.ok(INBOXES, token=workspace.token))["inboxes"] == [inbox]
    assert [e["kind"] for e in await events_of("inbox.")] == ["inbox.created"]


def _whatsapp(secret: str) -> dict[str, str]:
    return {
        "phoneNumberId": "1065403522",
        "accessToken": secret,
        "appSecret": secret + "-app",
        "verifyToken": secret + "-v",
    }


async def test_settings_are_written_and_never_read_back(gql, workspace):
    # the API has no field that returns them
    fields = (await gql.ok(INBOX_TYPE, token=workspace.token))["__type"]["fields"]
    assert "settings" not in {f["name"] for f in fields}
    # given an inbox created with credentials, then given new ones
    created = await gql(
        CREATE_INBOX,
        {"input": {"name": "WhatsApp", "channel": "WHATSAPP", "settings": _whatsapp(SECRET)}},
        token=workspace.token,
    )
    inbox_id = created["data"]["createInbox"]["inbox"]["id"]
    rotated = await gql(
        UPDATE_INBOX,
        {"id": inbox_id, "input": {"settings": _whatsapp(SECRET + "-2")}},
        token=workspace.token,
    )
    # then they are stored (replaced whole) ...
    row = await InboxRow.get(id=decode_id(inbox_id)[1])
    assert row.settings == _whatsapp(SECRET + "-2")
    # ... but no answer, read or event carries them
    answers = [
        created,
        rotated,
        await gql(INBOXES, token=workspace.token),
        await gql(NODE, {"id": inbox_id}, token=workspace.token),
    ]
    assert all(SECRET not in json.dumps(answer) for answer in answers)
    events = await events_of("inbox.")
    assert [e["kind"] for e in events] == ["inbox.created", "inbox.updated"]
    assert SECRET not in json.dumps(events)
    assert events[1]["data"]["changes"] == {"settings": {"changed": True}}
    assert events[1]["summary"] == "Ana Admin alterou configurações da caixa de entrada WhatsApp"


async def test_an_archived_queue_reads_as_no_queue(gql, workspace):
    # given an inbox routed through a queue
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    inbox = await create_inbox(gql, workspace.token, queueId=queue["id"])
    # when the queue is archived
    archived = (await gql.ok(ARCHIVE_QUEUE, {"id": queue["id"]}, token=workspace.token))["archiveQueue"]
    assert archived["userErrors"] == []
    # then the inbox shows no queue, and the archived queue cannot be named again
    [seen] = (await gql.ok(INBOXES, token=workspace.token))["inboxes"]
    assert seen["queue"] is None
    payload = (
        await gql.ok(
            UPDATE_INBOX, {"id": inbox["id"], "input": {"queueId": queue["id"]}}, token=workspace.token
        )
    )["updateInbox"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["input", "queueId"])]


async def test_another_workspaces_queue_policy_or_inbox_is_not_found(gql, workspace, other_workspace):
    # given another workspace's queue, policy and inbox
    theirs_queue = await create_queue(gql, other_workspace.token, [{"userId": other_workspace.admin["id"]}])
    theirs_policy = await create_policy(gql, other_workspace.token)
    theirs_inbox = await create_inbox(gql, other_workspace.token)
    mine = await create_inbox(gql, workspace.token, name="Meu")
    cases = [
        (CREATE_INBOX, {"input": {"name": "X", "channel": "API", "queueId": theirs_queue["id"]}}, "queueId"),
        (CREATE_INBOX, {"input": {"name": "X", "channel": "API", "queueId": UNKNOWN_QUEUE}}, "queueId"),
        (
            CREATE_INBOX,
            {"input": {"name": "X", "channel": "API", "slaPolicyId": theirs_policy["id"]}},
            "slaPolicyId",
        ),
        (CREATE_INBOX, {"input": {"name": "X", "channel": "API", "queueId": theirs_policy["id"]}}, "queueId"),
        (UPDATE_INBOX, {"id": mine["id"], "input": {"queueId": theirs_queue["id"]}}, "queueId"),
        (UPDATE_INBOX, {"id": mine["id"], "input": {"slaPolicyId": theirs_policy["id"]}}, "slaPolicyId"),
    ]
    for document, variables, name in cases:
        # when the admin names one of them
        body = await gql.ok(document, variables, token=workspace.token)
        [payload] = body.values()
        # then it is NOT_FOUND on that input
        assert payload["inbox"] is None
        assert payload["userErrors"] == [
            {
                "code": "NOT_FOUND",
                "message": f"{'Fila' if name == 'queueId' else 'Política de SLA'}: registro não encontrado.",
                "field": ["input", name],
            }
        ], variables
    # and their inbox is not found either, nor readable
    payload = (
        await gql.ok(
            UPDATE_INBOX, {"id": theirs_inbox["id"], "input": {"name": "Meu"}}, token=workspace.token
        )
    )["updateInbox"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["id"])]
    assert (await gql.ok(NODE, {"id": theirs_inbox["id"]}, token=workspace.token))["node"] is None
    assert (await gql.ok(NODE, {"id": theirs_policy["id"]}, token=workspace.token))["node"] is None
    # and nothing changed in mine
    assert (await gql.ok(INBOXES, token=workspace.token))["inboxes"] == [mine]


WRITES = [
    (
        CREATE_POLICY,
        lambda ids: {"input": {"name": "P", "firstResponseMinutes": 5, "businessHoursOnly": False}},
    ),
    (CREATE_INBOX, lambda ids: {"input": {"name": "Novo", "channel": "API"}}),
    (UPDATE_INBOX, lambda ids: {"id": ids["inbox"], "input": {"name": "Mudado"}}),
]


@pytest.mark.parametrize("role", ["AGENT", "MANAGER"])
async def test_only_an_admin_writes_the_setup_but_everyone_reads_it(gql, workspace, role):
    # given an inbox and a policy, and a member who is not an admin
    member = await workspace.user(role)
    policy = await create_policy(gql, workspace.token)
    inbox = await create_inbox(gql, workspace.token, slaPolicyId=policy["id"])
    # when they try each write
    for document, variables in WRITES:
        body = await gql(document, variables({"inbox": inbox["id"]}), token=member["token"])
        # then it is a top-level FORBIDDEN
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    # and nothing changed, while they read everything
    assert (await gql.ok(INBOXES, token=member["token"]))["inboxes"] == [inbox]
    assert (await gql.ok(POLICIES, token=member["token"]))["slaPolicies"] == [policy]
    assert [e["kind"] for e in await events_of("inbox.")] == ["inbox.created"]


async def _statements_listing(gql, token, count_sql, size):
    with count_sql() as counter:
        inboxes = (await gql.ok(INBOXES, token=token))["inboxes"]
    assert len(inboxes) == size and all(i["queue"] and i["slaPolicy"] for i in inboxes)
    return counter.statements


async def test_listing_inboxes_costs_the_same_sql_for_one_or_many(gql, workspace, count_sql):
    # given an inbox with a queue, a policy and a template
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    policy = await create_policy(gql, workspace.token)
    spec = {"queueId": queue["id"], "slaPolicyId": policy["id"]}
    await create_inbox(gql, workspace.token, name="Inbox 0", **spec)
    await gql.ok("query { me { id } }", token=agent["token"])  # (the agent's first request marks them seen)
    one = await _statements_listing(gql, agent["token"], count_sql, 1)
    # when there are eight of them, each with its own policy
    for number in range(1, 8):
        own = await create_policy(gql, workspace.token, name=f"Política {number}")
        await create_inbox(
            gql, workspace.token, name=f"Inbox {number}", queueId=queue["id"], slaPolicyId=own["id"]
        )
    # then listing them with their queue, policy and templates takes as many statements (batched)
    many = await _statements_listing(gql, agent["token"], count_sql, 8)
    assert len(many) == len(one) <= 5, (one, many)


async def test_anonymous_callers_read_nothing(gql, workspace):
    await create_inbox(gql, workspace.token)
    body = await gql(INBOXES)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


# ------------------------------------------------------------------ the SLA follows the setup


async def _waiting_conversation(gql, token, inbox_id, at):
    sender = {"name": "Maria", "phone": "+5511987654321"}
    spec = {"inboxId": inbox_id, "from": sender, "body": "Oi, ainda tem?", "externalId": "wamid.1", "at": at}
    payload = (await gql.ok(RECEIVE, {"input": spec}, token=token))["receiveMessage"]
    assert payload["userErrors"] == [], payload
    return payload["conversation"]["id"]


async def _ids_in(gql, token, *states):
    edges = (await gql.ok(BY_SLA_STATE, {"states": list(states)}, token=token))["conversations"]["edges"]
    return [e["node"]["id"] for e in edges]


async def test_a_new_policy_or_new_hours_recompute_the_sla_of_open_conversations(gql, workspace):
    # given a contact who wrote two hours ago to an inbox without a policy
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    inbox = await create_inbox(gql, workspace.token, name="API", channel="API")
    conversation = await _waiting_conversation(
        gql, workspace.token, inbox["id"], (now - timedelta(hours=2)).isoformat()
    )
    assert (await gql.ok(CONVERSATION_SLA, {"id": conversation}, token=workspace.token))["conversation"][
        "sla"
    ] is None
    # when the admin gives the inbox a 60-minute first-response policy in business hours
    policy = await create_policy(gql, workspace.token, firstResponseMinutes=60, businessHoursOnly=True)
    update = {"id": inbox["id"], "input": {"slaPolicyId": policy["id"]}}
    assert (await gql.ok(UPDATE_INBOX, update, token=workspace.token))["updateInbox"]["userErrors"] == []
    # then, with no business hours (wall clock), the conversation is BREACHED, stored so lists filter by it
    sla = (await gql.ok(CONVERSATION_SLA, {"id": conversation}, token=workspace.token))["conversation"]["sla"]
    assert sla == {"state": "BREACHED", "policy": {"name": "Padrão"}}
    assert await _ids_in(gql, workspace.token, "BREACHED") == [conversation]
    # when the inbox opens only on a weekday days away from these two hours
    weekday = (now.isoweekday() + 2) % 7 + 1
    hours = {"timezone": "UTC", "days": [{"weekday": weekday, "opens": "09:00", "closes": "10:00"}]}
    update = {"id": inbox["id"], "input": {"businessHours": hours}}
    assert (await gql.ok(UPDATE_INBOX, update, token=workspace.token))["updateInbox"]["userErrors"] == []
    # then no business time has passed: the conversation is on track again
    assert await _ids_in(gql, workspace.token, "ON_TRACK") == [conversation]
    assert await _ids_in(gql, workspace.token, "BREACHED") == []
    # when the policy is removed, the conversation has no SLA at all
    update = {"id": inbox["id"], "input": {"slaPolicyId": None}}
    assert (await gql.ok(UPDATE_INBOX, update, token=workspace.token))["updateInbox"]["userErrors"] == []
    assert await _ids_in(gql, workspace.token, "ON_TRACK", "BREACHED", "WARNING", "MET", "PAUSED") == []
    assert (await gql.ok(CONVERSATION_SLA, {"id": conversation}, token=workspace.token))["conversation"][
        "sla"
    ] is None
    # and each move of the state told the inbox's subscribers
    changes = await events_of("conversation.sla_changed")
    assert [e["data"]["slaState"] for e in changes] == ["BREACHED", "ON_TRACK", None]
