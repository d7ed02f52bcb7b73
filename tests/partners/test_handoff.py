"""Partner hand-off: a deal entering a rule's stage is delivered, with its
contact, through the rule's webhook endpoint only (the outgoing webhooks,
signed); the partner reports back with updateDealFromPartner through its
API key, onto the deal's timeline, through the stage gates."""

from __future__ import annotations

import asyncio
from typing import Any

from revgraph.models.events import Event
from revgraph.models.webhooks import WebhookDelivery
from revgraph.resolvers.ids import decode_id, encode_id
from tests.graph.documents import create_contact
from tests.pipeline.support import create_deal, create_pipeline, move
from tests.webhooks.support import Receiver, create_endpoint, verify

CREATE_RULE = """
mutation R($input: PartnerHandoffRuleInput!) {
  createPartnerHandoffRule(input: $input) { rule { id name stageId endpointId active } userErrors { code message field } }
}
"""
RULES = "query { partnerHandoffRules { id name } }"
DELETE_RULE = (
    "mutation D($id: ID!) { deletePartnerHandoffRule(id: $id) { deletedId userErrors { code field } } }"
)
UPDATE_FROM_PARTNER = """
mutation U($input: UpdateDealFromPartnerInput!) {
  updateDealFromPartner(input: $input) { deal { id value stage { name } } userErrors { code message field } }
}
"""
CREATE_API_KEY = """
mutation K($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { code } } }
"""


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None
    return decoded[1]


async def partner_key(gql: Any, token: str, name: str = "VIMOB", scope: str = "INTAKE") -> str:
    data = await gql.ok(
        CREATE_API_KEY, {"input": {"name": name, "role": "ADMIN", "scope": scope}}, token=token
    )
    return data["createApiKey"]["secret"]


async def rule_for(gql: Any, token: str, stage_id: str, endpoint_id: str, name: str = "VIMOB") -> dict:
    data = await gql.ok(
        CREATE_RULE, {"input": {"name": name, "stageId": stage_id, "endpointId": endpoint_id}}, token=token
    )
    payload = data["createPartnerHandoffRule"]
    assert payload["userErrors"] == [], payload
    return payload["rule"]


async def test_a_deal_reaching_the_stage_is_delivered_with_its_contact_to_the_rules_endpoint_only(
    gql, workspace
):
    partner, other = await Receiver().start(), await Receiver().start()
    try:
        # given a partner endpoint for hand-offs and another endpoint taking every event
        partner_endpoint, secret = await create_endpoint(
            gql, workspace.token, partner.url, ["deal.handed_off"]
        )
        await create_endpoint(gql, workspace.token, other.url)
        pipeline = await create_pipeline(gql, workspace.token)
        await rule_for(gql, workspace.token, pipeline["stage"]["Em contato"], partner_endpoint["id"])
        contact = await create_contact(gql, workspace.token, name="Lia Prado", email="lia@example.com")
        deal = await create_deal(gql, workspace.token, pipeline["id"], contactId=contact["id"])
        # when the deal reaches the stage
        moved = await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
        assert moved["userErrors"] == []
        [received] = await partner.wait_for(1)
        await asyncio.sleep(0.5)
    finally:
        await partner.stop()
        await other.stop()
    # then the partner gets it, signed, with the deal and its contact
    body = verify(secret, received.headers, received.body)
    assert body["type"] == "deal.handed_off"
    assert body["data"]["id"] == deal["id"] and body["data"]["title"] == "Apto 2 quartos"
    assert body["data"]["partner"] == "VIMOB"
    assert body["data"]["contact"]["id"] == contact["id"]
    assert body["data"]["contact"]["email"] == "lia@example.com"
    # and the endpoint subscribed to everything never received it
    assert "deal.handed_off" not in other.types()
    assert await WebhookDelivery.filter(event_type="deal.handed_off").count() == 1
    event = await Event.get(kind="deal.handed_off")
    assert event.deal_id == pk(deal["id"]) and "VIMOB" in event.summary


async def test_a_refused_move_hands_off_nothing_and_a_deleted_rule_stops(gql, workspace):
    endpoint, _ = await create_endpoint(gql, workspace.token, "http://127.0.0.1:9/hooks", ["deal.handed_off"])
    pipeline = await create_pipeline(gql, workspace.token)
    rule = await rule_for(gql, workspace.token, pipeline["stage"]["Proposta"], endpoint["id"])
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    # a move the stage's gates refuse (value and expected close date missing)
    refused = await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Proposta"])
    assert refused["userErrors"]
    assert await Event.filter(kind="deal.handed_off").count() == 0
    # after the rule is deleted, reaching the stage hands off nothing
    deleted = await gql.ok(DELETE_RULE, {"id": rule["id"]}, token=workspace.token)
    assert deleted["deletePartnerHandoffRule"]["userErrors"] == []
    ok = await move(
        gql,
        workspace.token,
        dealId=deal["id"],
        stageId=pipeline["stage"]["Proposta"],
        patch={"value": "450000.00", "expectedCloseDate": "2027-03-31"},
    )
    assert ok["userErrors"] == []
    assert await Event.filter(kind="deal.handed_off").count() == 0
    assert (await gql.ok(RULES, token=workspace.token))["partnerHandoffRules"] == []


async def test_a_deal_created_in_the_stage_is_handed_off_too(gql, workspace):
    endpoint, _ = await create_endpoint(gql, workspace.token, "http://127.0.0.1:9/hooks", ["deal.handed_off"])
    pipeline = await create_pipeline(gql, workspace.token)
    await rule_for(gql, workspace.token, pipeline["stage"]["Em contato"], endpoint["id"])
    deal = await create_deal(gql, workspace.token, pipeline["id"], stageId=pipeline["stage"]["Em contato"])
    elsewhere = await create_deal(gql, workspace.token, pipeline["id"])
    handed = await Event.filter(kind="deal.handed_off").values_list("deal_id", flat=True)
    assert handed == [pk(deal["id"])] and pk(elsewhere["id"]) not in handed


async def test_a_rule_names_a_stage_and_an_endpoint_of_the_workspace(gql, workspace, other_workspace):
    theirs, _ = await create_endpoint(gql, other_workspace.token, "http://127.0.0.1:9/hooks")
    pipeline = await create_pipeline(gql, workspace.token)
    data = await gql.ok(
        CREATE_RULE,
        {"input": {"name": "VIMOB", "stageId": pipeline["stage"]["Ganho"], "endpointId": theirs["id"]}},
        token=workspace.token,
    )
    [error] = data["createPartnerHandoffRule"]["userErrors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "endpointId"])


async def handed_off_deal(
    gql: Any, token: str, pipeline: dict, partner: str = "VIMOB", **fields: Any
) -> dict:
    """A deal created in a stage whose rule hands it off to `partner`."""
    endpoint, _ = await create_endpoint(gql, token, "http://127.0.0.1:9/hooks", ["deal.handed_off"])
    rule = await rule_for(gql, token, pipeline["stage"]["Em contato"], endpoint["id"], name=partner)
    deal = await create_deal(gql, token, pipeline["id"], stageId=pipeline["stage"]["Em contato"], **fields)
    deleted = await gql.ok(DELETE_RULE, {"id": rule["id"]}, token=token)
    assert deleted["deletePartnerHandoffRule"]["userErrors"] == []
    return deal


async def test_the_partner_reports_status_and_value_back_onto_the_timeline(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    contact = await create_contact(gql, workspace.token, name="Lia Prado", email="lia@example.com")
    deal = await handed_off_deal(gql, workspace.token, pipeline, contactId=contact["id"])
    key = await partner_key(gql, workspace.token)
    # when the partner reports a status and a value
    data = await gql.ok(
        UPDATE_FROM_PARTNER,
        {
            "input": {
                "dealId": deal["id"],
                "status": "Proposta enviada",
                "value": "480000.00",
                "externalId": "VM-77",
            }
        },
        token=key,
    )
    payload = data["updateDealFromPartner"]
    assert payload["userErrors"] == [] and payload["deal"]["value"] == "480000.00"
    event = await Event.get(kind="deal.partner_updated")
    assert event.summary == "VIMOB: Proposta enviada"
    assert event.data["externalId"] == "VM-77" and event.contact_id == pk(contact["id"])
    # a stage move goes through the gates: refused without what the stage requires
    gated = await gql.ok(
        UPDATE_FROM_PARTNER,
        {"input": {"dealId": deal["id"], "status": "Em proposta", "stageId": pipeline["stage"]["Proposta"]}},
        token=key,
    )
    codes = {e["code"] for e in gated["updateDealFromPartner"]["userErrors"]}
    assert codes == {"REQUIRED_FIELD_MISSING"}
    # (nothing of the refused report was written)
    assert await Event.filter(kind="deal.partner_updated").count() == 1
    # and it moves when the partner reports a win
    won = await gql.ok(
        UPDATE_FROM_PARTNER,
        {
            "input": {
                "dealId": deal["id"],
                "status": "Vendido",
                "value": "470000.00",
                "stageId": pipeline["stage"]["Ganho"],
            }
        },
        token=key,
    )
    assert won["updateDealFromPartner"]["deal"]["stage"]["name"] == "Ganho"
    assert await Event.filter(kind="deal.partner_updated").count() == 2
    assert await Event.filter(kind="deal.stage_changed", deal_id=pk(deal["id"])).count() == 1


DEAL_STATE = "query D($id: ID!) { node(id: $id) { ... on Deal { value version stage { name } } } }"


async def test_a_partner_key_reports_only_on_deals_handed_off_to_it(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    # a deal handed off to another partner, one never handed off, one handed off to VIMOB
    theirs = await handed_off_deal(gql, workspace.token, pipeline, partner="Lopes")
    never = await create_deal(gql, workspace.token, pipeline["id"])
    ours = await handed_off_deal(gql, workspace.token, pipeline)
    key = await partner_key(gql, workspace.token)
    missing = encode_id("Deal", pk(never["id"]) + 1000)
    report = {"status": "Vendido", "value": "1.00", "stageId": pipeline["stage"]["Ganho"], "note": "x"}

    async def refusal(deal_id: str) -> dict:
        data = await gql.ok(UPDATE_FROM_PARTNER, {"input": {"dealId": deal_id, **report}}, token=key)
        payload = data["updateDealFromPartner"]
        assert payload["deal"] is None
        [error] = payload["userErrors"]
        return error

    # a deal not handed off to the key's partner answers as a deal that does not exist
    not_there = await refusal(missing)
    assert (not_there["code"], not_there["field"]) == ("NOT_FOUND", ["input", "dealId"])
    before = {
        d["id"]: await gql.ok(DEAL_STATE, {"id": d["id"]}, token=workspace.token) for d in (theirs, never)
    }
    events = await Event.all().count()
    for deal in (theirs, never):
        assert await refusal(deal["id"]) == not_there
    # and nothing was written: no event, no value, no move
    assert await Event.all().count() == events
    for deal in (theirs, never):
        assert await gql.ok(DEAL_STATE, {"id": deal["id"]}, token=workspace.token) == before[deal["id"]]
    # the deal handed off to it takes the report
    data = await gql.ok(UPDATE_FROM_PARTNER, {"input": {"dealId": ours["id"], **report}}, token=key)
    payload = data["updateDealFromPartner"]
    assert payload["userErrors"] == [] and payload["deal"]["stage"]["name"] == "Ganho"
    assert await Event.filter(kind="deal.partner_updated").values_list("deal_id", flat=True) == [
        pk(ours["id"])
    ]
    # the other partner's key reports on its own deal; a person still reports on any deal
    lopes = await partner_key(gql, workspace.token, name="lopes")
    data = await gql.ok(
        UPDATE_FROM_PARTNER, {"input": {"dealId": theirs["id"], "status": "Visita"}}, token=lopes
    )
    assert data["updateDealFromPartner"]["userErrors"] == []
    by_hand = {"dealId": never["id"], "status": "Visita", "partner": "VIMOB"}
    data = await gql.ok(UPDATE_FROM_PARTNER, {"input": by_hand}, token=workspace.token)
    assert data["updateDealFromPartner"]["userErrors"] == []


async def test_a_person_reports_naming_the_partner_and_a_read_only_key_may_not(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    variables: dict[str, Any] = {"input": {"dealId": deal["id"], "status": "Visita feita"}}
    # a person must name the partner they report for
    unnamed = await gql.ok(UPDATE_FROM_PARTNER, variables, token=workspace.token)
    [error] = unnamed["updateDealFromPartner"]["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "partner"])
    read_only = await gql(
        UPDATE_FROM_PARTNER, variables, token=await partner_key(gql, workspace.token, scope="READ_ONLY")
    )
    assert read_only["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Event.filter(kind="deal.partner_updated").count() == 0
    variables["input"]["partner"] = "Imobiliária Parceira"
    named = await gql.ok(UPDATE_FROM_PARTNER, variables, token=workspace.token)
    assert named["updateDealFromPartner"]["userErrors"] == []
    event = await Event.get(kind="deal.partner_updated")
    assert event.summary == "Imobiliária Parceira: Visita feita"
