"""Leads of an empreendimento: captureLead, forms and /api/leads carry the
development of interest to the contact and its deal, and "a queue per
empreendimento" is an automation rule on it, end to end."""

from __future__ import annotations

from revgraph.resolvers.ids import encode_id
from tests.automations.support import create_rule, runs, settle
from tests.distribution.support import CAPTURE, create_queue
from tests.distribution.test_forms import create_form, lead_by_email, post_json
from tests.distribution.test_intake import api_key, post_lead
from tests.graph.development_support import (
    ARCHIVE_DEVELOPMENT,
    CONTACT_INTERESTS,
    create_development,
)
from tests.pipeline.support import create_pipeline

CAPTURED_DEAL = """
query CapturedDeal($id: ID!) {
  deal(id: $id) { id owner { id } development { id name } timeline(first: 20) { edges { node { kind data } } } }
}
"""
UNKNOWN = encode_id("Development", 2**31 - 2)


async def capture(gql, token, **fields):
    data = await gql.ok(CAPTURE, {"input": {"name": "Maria Souza", "source": "site", **fields}}, token=token)
    return data["captureLead"]


async def lead_interests(gql, token, contact_id):
    contact = (await gql.ok(CONTACT_INTERESTS, {"id": contact_id}, token=token))["contact"]
    return [d["name"] for d in contact["interests"]], contact


async def deal_development(gql, token, deal_id):
    deal = (await gql.ok(CAPTURED_DEAL, {"id": deal_id}, token=token))["deal"]
    return deal["development"]["name"] if deal["development"] else None


async def test_a_lead_captured_for_a_development_is_interested_in_it_and_so_is_its_deal(gql, workspace):
    # given two developments and a pipeline
    ipe = await create_development(gql, workspace.token, name="Reserva Ipê")
    mirante = await create_development(gql, workspace.token, name="Edifício Mirante Sul")
    pipeline = await create_pipeline(gql, workspace.token)
    token = workspace.token
    # when a lead arrives from Reserva Ipê's landing page into the pipeline
    first = await capture(
        gql, token, email="maria@example.com", pipelineId=pipeline["id"], developmentId=ipe["id"]
    )
    # then the contact is interested in it and the deal opened is of it
    assert first["userErrors"] == [] and first["created"] is True
    names, contact = await lead_interests(gql, token, first["contact"]["id"])
    assert names == ["Reserva Ipê"]
    assert await deal_development(gql, token, first["deal"]["id"]) == "Reserva Ipê"
    captured = [
        e["node"]["data"] for e in contact["timeline"]["edges"] if e["node"]["kind"] == "lead.captured"
    ]
    assert captured[0]["developmentId"] == ipe["id"]
    # when she comes back from Mirante's page
    again = await capture(
        gql, token, email="maria@example.com", pipelineId=pipeline["id"], developmentId=mirante["id"]
    )
    # then she re-enters her open deal, which keeps its development, and adds the new interest
    assert again["created"] is False and again["deal"]["id"] == first["deal"]["id"]
    assert await deal_development(gql, token, first["deal"]["id"]) == "Reserva Ipê"
    assert (await lead_interests(gql, token, first["contact"]["id"]))[0] == [
        "Reserva Ipê",
        "Edifício Mirante Sul",
    ]
    # when a lead whose open deal has no development comes back from a page that names one
    plain = await capture(gql, token, email="joao@example.com", pipelineId=pipeline["id"])
    assert await deal_development(gql, token, plain["deal"]["id"]) is None
    back = await capture(
        gql, token, email="joao@example.com", pipelineId=pipeline["id"], developmentId=mirante["id"]
    )
    # then the deal gets it, as one change on its timeline
    assert back["deal"]["id"] == plain["deal"]["id"]
    assert await deal_development(gql, token, plain["deal"]["id"]) == "Edifício Mirante Sul"
    deal = (await gql.ok(CAPTURED_DEAL, {"id": plain["deal"]["id"]}, token=token))["deal"]
    updates = [e["node"]["data"] for e in deal["timeline"]["edges"] if e["node"]["kind"] == "deal.updated"]
    assert [list(u["changes"]) for u in updates] == [["development_id"]]


async def test_a_capture_naming_an_archived_or_unknown_development_captures_nothing(gql, workspace):
    # given an archived development
    old = await create_development(gql, workspace.token, name="Parque Horizonte")
    await gql.ok(ARCHIVE_DEVELOPMENT, {"id": old["id"]}, token=workspace.token)
    # when leads name it, or an id nobody has
    answers = [
        await capture(gql, workspace.token, email="ana@example.com", developmentId=development_id)
        for development_id in (old["id"], UNKNOWN)
    ]
    # then both are the same NOT_FOUND, and no lead was captured
    assert answers[0] == answers[1]
    assert answers[0]["userErrors"] == [
        {
            "code": "NOT_FOUND",
            "message": "Empreendimento: registro não encontrado.",
            "field": ["input", "developmentId"],
        }
    ]
    contacts = await gql.ok("query { contacts(first: 10) { totalCount } }", token=workspace.token)
    assert contacts["contacts"]["totalCount"] == 0


async def test_forms_and_the_api_intake_carry_the_development_of_interest(gql, workspace):
    # given a landing page of Reserva Ipê opening deals, and a marketing tool's key
    ipe = await create_development(gql, workspace.token, name="Reserva Ipê")
    mirante = await create_development(gql, workspace.token, name="Edifício Mirante Sul")
    pipeline = await create_pipeline(gql, workspace.token)
    form = await create_form(gql, workspace.token, pipelineId=pipeline["id"], developmentId=ipe["id"])
    assert form["id"]
    secret = await api_key(gql, workspace.token)
    # when a visitor posts the form, and the tool reports a lead of Mirante
    response = await post_json(gql, form, {"name": "Paula Rocha", "email": "paula@example.com"})
    assert response.status_code in (200, 201), response.text
    reported = await post_lead(
        gql,
        {
            "name": "Igor Nunes",
            "email": "igor@example.com",
            "pipelineId": pipeline["id"],
            "developmentId": mirante["id"],
        },
        token=secret,
    )
    assert reported.status_code == 201, reported.text
    # then each lead is interested in its development, and so is its deal
    for email, name in (("paula@example.com", "Reserva Ipê"), ("igor@example.com", "Edifício Mirante Sul")):
        contact = await lead_by_email(gql, workspace.token, email)
        names, seen = await lead_interests(gql, workspace.token, contact["id"])
        assert names == [name]
        [deal] = [e["node"] for e in seen["deals"]["edges"]]
        assert await deal_development(gql, workspace.token, deal["id"]) == name
    # and the intake refuses a development that is not a string, capturing nothing
    refused = await post_lead(gql, {"name": "X", "email": "x@example.com", "developmentId": 7}, token=secret)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == ["developmentId"]


async def test_a_rule_per_development_routes_its_new_deals_through_its_queue(gql, workspace):
    # given Reserva Ipê's own roleta and a rule that sends its new deals there
    ipe = await create_development(gql, workspace.token, name="Reserva Ipê")
    mirante = await create_development(gql, workspace.token, name="Edifício Mirante Sul")
    broker = await workspace.user("AGENT", name="Corretora do Ipê")
    queue = await create_queue(gql, workspace.token, [{"userId": broker["id"]}], name="Roleta Reserva Ipê")
    pipeline = await create_pipeline(gql, workspace.token)
    rule = await create_rule(
        gql,
        workspace.token,
        name="Leads do Reserva Ipê para a roleta do Ipê",
        trigger={"kind": "DEAL_CREATED"},
        dealConditions={"developmentId": {"eq": ipe["id"]}},
        actions=[{"distribute": {"queueId": queue["id"]}}],
    )
    assert rule["dealConditions"] == {"developmentId": {"eq": ipe["id"]}}
    # when a lead of Reserva Ipê and one of Mirante are captured into the pipeline
    ipe_lead = await capture(
        gql, workspace.token, email="ana@example.com", pipelineId=pipeline["id"], developmentId=ipe["id"]
    )
    other_lead = await capture(
        gql, workspace.token, email="bia@example.com", pipelineId=pipeline["id"], developmentId=mirante["id"]
    )
    await settle()
    # then Reserva Ipê's deal went through its queue to its broker, who now sees the lead
    deal = (await gql.ok(CAPTURED_DEAL, {"id": ipe_lead["deal"]["id"]}, token=broker["token"]))["deal"]
    assert deal["owner"] == {"id": broker["id"]}
    assert deal["development"]["name"] == "Reserva Ipê"
    # and Mirante's deal was left alone
    untouched = (await gql.ok(CAPTURED_DEAL, {"id": other_lead["deal"]["id"]}, token=workspace.token))["deal"]
    assert untouched["owner"] is None
    done = await runs(gql, workspace.token, ruleId=rule["id"])
    assert [(r["status"], r["deal"]["id"]) for r in done] == [("SUCCEEDED", ipe_lead["deal"]["id"])]


async def test_a_rule_on_captured_leads_routes_by_the_contacts_interest(gql, workspace):
    # given a rule that sends every captured lead interested in Reserva Ipê to its queue
    ipe = await create_development(gql, workspace.token, name="Reserva Ipê")
    broker = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": broker["id"]}], name="Roleta Reserva Ipê")
    await create_rule(
        gql,
        workspace.token,
        name="Interessados no Ipê",
        trigger={"kind": "LEAD_CAPTURED"},
        contactConditions={"interestedIn": [ipe["id"]]},
        actions=[{"distribute": {"queueId": queue["id"]}}],
    )
    # when a lead arrives for it, and another with no development
    interested = await capture(gql, workspace.token, email="ana@example.com", developmentId=ipe["id"])
    plain = await capture(gql, workspace.token, email="bia@example.com")
    await settle()
    # then only the interested lead was given to the broker
    owner = "query($id: ID!) { contact(id: $id) { owner { id } } }"
    assert (await gql.ok(owner, {"id": interested["contact"]["id"]}, token=workspace.token))["contact"][
        "owner"
    ] == {"id": broker["id"]}
    assert (await gql.ok(owner, {"id": plain["contact"]["id"]}, token=workspace.token))["contact"][
        "owner"
    ] is None
