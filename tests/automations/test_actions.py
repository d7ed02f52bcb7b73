"""The remaining actions, each through the use case a person would call:
set field, remove tag, assign, distribute, notify (stored and live)."""

from __future__ import annotations

import asyncio

from tests.automations.support import CREATE_RULE as CREATE_RULE_DOC
from tests.automations.support import MARK_READ, NOTIFICATIONS, contact_timeline, create_rule, runs, settle
from tests.distribution.support import create_queue
from tests.graph.documents import ADD_NOTE, create_contact
from tests.live import connect, subscribe
from tests.pipeline.support import DEAL, create_deal, create_pipeline, move

NOTIFICATIONS_LIVE = "subscription { notifications { id message contact { id } } }"
CONTACT = "query($id: ID!) { contact(id: $id) { tags lifecycleStage customFields owner { id } } }"


async def test_set_field_and_remove_tag_change_the_contact_as_the_rule(gql, workspace):
    # given a rule that qualifies site leads and drops their "frio" tag
    await create_rule(
        gql,
        workspace.token,
        name="Qualificar",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[
            {"setField": {"field": "CONTACT_LIFECYCLE_STAGE", "value": "MQL"}},
            {"setField": {"field": "CONTACT_CUSTOM_FIELD", "customFieldKey": "origem", "value": "site"}},
            {"removeTag": {"tag": "frio"}},
        ],
    )

    # when a lead arrives
    contact = await create_contact(
        gql, workspace.token, name="Hugo", tags=["frio", "sp"], customFields={"a": 1}
    )
    await settle()

    # then each action changed it, and the timeline says the rule did it
    data = (await gql.ok(CONTACT, {"id": contact["id"]}, token=workspace.token))["contact"]
    assert data["lifecycleStage"] == "MQL" and data["tags"] == ["sp"]
    assert data["customFields"] == {"a": 1, "origem": "site"}
    [run] = await runs(gql, workspace.token)
    assert run["status"] == "SUCCEEDED" and run["stepsDone"] == 3
    changes = [
        e
        for e in await contact_timeline(gql, workspace.token, contact["id"])
        if e["kind"] == "contact.updated"
    ]
    assert len(changes) == 3
    assert all(e["actor"] is None and e["summary"].startswith("Automação 'Qualificar'") for e in changes)


async def test_assign_and_distribute_give_the_lead_to_people(gql, workspace):
    # given a queue with one agent and a rule assigning deals of a stage to a closer
    sdr = await workspace.user("AGENT")
    closer = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": sdr["id"]}])
    pipeline = await create_pipeline(gql, workspace.token)
    await create_rule(
        gql,
        workspace.token,
        name="Distribuir leads",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[{"distribute": {"queueId": queue["id"]}}],
    )
    await create_rule(
        gql,
        workspace.token,
        name="Passar ao closer",
        trigger={"kind": "DEAL_STAGE_CHANGED", "toStageId": pipeline["stage"]["Em contato"]},
        actions=[{"assign": {"userId": closer["id"]}}],
    )

    # when a lead arrives and a deal enters the stage
    contact = await create_contact(gql, workspace.token, name="Iara")
    deal = await create_deal(gql, workspace.token, pipeline["id"], contactId=contact["id"])
    await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
    await settle()

    # then the queue gave the contact to the SDR and the rule gave the deal to the closer
    owner = (await gql.ok(CONTACT, {"id": contact["id"]}, token=workspace.token))["contact"]["owner"]
    assert owner == {"id": sdr["id"]}
    deal_now = (await gql.ok(DEAL, {"id": deal["id"]}, token=workspace.token))["deal"]
    assert deal_now["owner"] == {"id": closer["id"]}
    assert {r["status"] for r in await runs(gql, workspace.token)} == {"SUCCEEDED"}


async def test_notify_stores_the_notification_and_streams_it_to_that_user_only(gql, server, workspace):
    # given a rule notifying the owner of a new contact, and owner and colleague listening
    owner = await workspace.user("AGENT")
    colleague = await workspace.user("AGENT")
    await create_rule(
        gql,
        workspace.token,
        name="Avisar dono",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[{"notify": {"to": "OWNER", "message": "Novo lead: {{contact.name}}"}}],
    )
    async with (
        connect(server.ws_url, owner["token"]) as mine,
        connect(server.ws_url, colleague["token"]) as theirs,
    ):
        live = await subscribe(mine, NOTIFICATIONS_LIVE, {})
        other = await subscribe(theirs, NOTIFICATIONS_LIVE, {})
        await asyncio.sleep(0.2)  # no "subscribed" ack in the protocol

        # when the owner creates a contact
        contact = await create_contact(gql, owner["token"], name="Júlia")

        # then the owner receives it live, the colleague nothing
        payload = await live.next(timeout=30)
        assert payload["data"]["notifications"]["message"] == "Novo lead: Júlia"
        assert payload["data"]["notifications"]["contact"]["id"] == contact["id"]
        await other.nothing_for(0.5)
    await settle()

    # and it is listed unread until marked read
    listed = (await gql.ok(NOTIFICATIONS, {"unreadOnly": True}, token=owner["token"]))["notifications"]
    [edge] = listed["edges"]
    assert (await gql.ok(NOTIFICATIONS, {}, token=colleague["token"]))["notifications"]["totalCount"] == 0
    refused = await gql.ok(MARK_READ, {"id": edge["node"]["id"]}, token=colleague["token"])
    assert refused["markNotificationRead"]["userErrors"][0]["code"] == "NOT_FOUND"
    marked = await gql.ok(MARK_READ, {"id": edge["node"]["id"]}, token=owner["token"])
    assert marked["markNotificationRead"]["notification"]["readAt"] is not None
    unread = (await gql.ok(NOTIFICATIONS, {"unreadOnly": True}, token=owner["token"]))["notifications"]
    assert unread["totalCount"] == 0


SCORED = "query($id: ID!) { contact(id: $id) { score tags } }"


async def test_scoring_rules_add_points_and_a_score_rule_acts_on_the_total(gql, workspace):
    # given scoring rules (+30 for a new lead, +25 per note) and a rule on hot leads (score >= 50)
    await create_rule(
        gql,
        workspace.token,
        name="Lead novo",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[{"adjustScore": {"points": 30}}],
    )
    await create_rule(
        gql,
        workspace.token,
        name="Nota",
        trigger={"kind": "NOTE_ADDED"},
        actions=[{"adjustScore": {"points": 25}}],
    )
    hot = await create_rule(
        gql,
        workspace.token,
        name="Lead quente",
        trigger={"kind": "CONTACT_SCORE_CHANGED"},
        contactConditions={"score": {"gte": 50}},
        actions=[{"addTag": {"tag": "quente"}}],
    )

    # when a lead arrives, then scores 30 and is not hot yet
    contact = await create_contact(gql, workspace.token, name="Irene")
    await settle()
    assert (await gql.ok(SCORED, {"id": contact["id"]}, token=workspace.token))["contact"] == {
        "score": 30,
        "tags": [],
    }

    # when a note is added, then it scores 55 and the hot-lead rule tagged it
    note = {"subjectId": contact["id"], "body": "Pediu proposta"}
    assert (await gql.ok(ADD_NOTE, {"input": note}, token=workspace.token))["addNote"]["userErrors"] == []
    await settle()
    assert (await gql.ok(SCORED, {"id": contact["id"]}, token=workspace.token))["contact"] == {
        "score": 55,
        "tags": ["quente"],
    }
    timeline = await contact_timeline(gql, workspace.token, contact["id"])
    changes = [e for e in timeline if e["kind"] == "contact.score_changed"]
    assert [(e["data"]["from"], e["data"]["to"], e["data"]["by"]) for e in changes] == [
        (30, 55, 25),
        (0, 30, 30),
    ]
    assert [e["actorLabel"] for e in changes] == ["Automação 'Nota'", "Automação 'Lead novo'"]
    # the hot-lead rule ran once: at 30 its condition left the lead out
    statuses = sorted(r["status"] for r in await runs(gql, workspace.token) if r["rule"]["id"] == hot["id"])
    assert statuses == ["SUCCEEDED"]


async def test_points_must_be_a_nonzero_whole_number_up_to_a_thousand(gql, workspace):
    for points in (0, 1001, -1001):
        data = await gql.ok(
            CREATE_RULE_DOC,
            {
                "input": {
                    "name": "x",
                    "trigger": {"kind": "CONTACT_CREATED"},
                    "actions": [{"adjustScore": {"points": points}}],
                }
            },
            token=workspace.token,
        )
        [error] = data["createAutomationRule"]["userErrors"]
        assert error["code"] == "INVALID"
        assert error["field"] == ["input", "actions", "0", "adjustScore", "points"]
    rule = await create_rule(
        gql, workspace.token, trigger={"kind": "CONTACT_CREATED"}, actions=[{"adjustScore": {"points": -5}}]
    )
    data = await gql.ok(RULE_ACTIONS, token=workspace.token)
    [read] = [r for r in data["automationRules"] if r["id"] == rule["id"]]
    assert read["actions"] == [{"type": "ADJUST_SCORE", "points": -5}]


RULE_ACTIONS = "query { automationRules { id actions { type points } } }"
