"""RD Station Marketing's conversion webhook (its `{"leads": [...]}` body,
as RD Station posts it) becomes captureLead with its touchpoint, checked
by the workspace's shared secret, once per (lead, conversion, time)."""

from __future__ import annotations

import json
from typing import Any

from revgraph.models.crm import Contact
from revgraph.models.distribution import Touchpoint
from revgraph.models.events import Event
from revgraph.models.identity import User
from revgraph.models.partners import MarketingConversion
from tests.distribution.support import eventually
from tests.pipeline.support import create_pipeline

CONFIGURE = """
mutation C($input: RdStationIntakeInput!) {
  configureRdStationIntake(input: $input) {
    intake { enabled webhookPath pipelineId } secret userErrors { code message field }
  }
}
"""


def rd_lead(
    email: str = "lia.prado@example.com", at: str = "2026-12-05T14:07:04-03:00", **extra: Any
) -> dict:
    """One lead as RD Station Marketing's webhook sends it (legacy 1.x body)."""
    return {
        "id": "52841",
        "uuid": "c2f3d2b3-7250-4d27-97f4-eef38be32f7f",
        "email": email,
        "name": "Lia Prado",
        "company": "Prado Arquitetura",
        "job_title": "Arquiteta",
        "created_at": "2026-11-20T10:00:00-03:00",
        "opportunity": "false",
        "number_conversions": "2",
        "first_conversion": {
            "content": {"identificador": "ebook-financiamento", "nome": "Lia Prado", "email_lead": email},
            "created_at": "2026-11-20T10:00:00-03:00",
            "cumulative_sum": "1",
            "source": "Busca Paga | Google",
            "conversion_origin": {
                "source": "google",
                "medium": "cpc",
                "campaign": "ebook",
                "channel": "Paid Search",
            },
        },
        "last_conversion": {
            "content": {
                "identificador": "lp-residencial-jardins",
                "conversion_identifier": "lp-residencial-jardins",
                "email_lead": email,
                "telefone": "(11) 3333-4444",
                "utm_source": "facebook",
                "utm_medium": "paid-social",
                "utm_campaign": "lancamento-jardins",
                "traffic_source": "facebook",
            },
            "created_at": at,
            "cumulative_sum": "2",
            "source": "Social Pago | Facebook",
            "conversion_origin": {
                "source": "facebook",
                "medium": "paid-social",
                "campaign": "lancamento-jardins",
            },
        },
        "custom_fields": {"Renda familiar": "R$ 15.000"},
        "website": None,
        "personal_phone": "(11) 3333-4444",
        "mobile_phone": "(11) 98765-4321",
        "city": "São Paulo",
        "state": "SP",
        "tags": ["jardins"],
        "lead_stage": "Lead",
        "fit_score": "b",
        "interest": 30,
        **extra,
    }


async def configure(gql: Any, token: str, **input: Any) -> dict[str, Any]:
    payload = (await gql.ok(CONFIGURE, {"input": input}, token=token))["configureRdStationIntake"]
    assert payload["userErrors"] == [], payload
    return payload


async def post(gql: Any, path: str, token: str | None, leads: list[dict], how: str = "query") -> Any:
    url = gql.server.url + path
    headers = {"content-type": "application/json"}
    if token and how == "query":
        url += f"?token={token}"
    elif token:
        headers["x-revgraph-token"] = token
    return await gql.http.post(url, content=json.dumps({"leads": leads}), headers=headers)


async def captured(count: int) -> bool:
    done = await MarketingConversion.filter(processed_at__isnull=False).count()
    return done >= count


async def test_a_conversion_becomes_a_lead_with_its_touchpoint_and_deal(gql, workspace):
    # given the intake configured to open deals in a pipeline
    pipeline = await create_pipeline(gql, workspace.token)
    config = await configure(gql, workspace.token, pipelineId=pipeline["id"])
    assert config["secret"].startswith("rds_") and config["intake"]["enabled"] is True
    # when RD Station posts a conversion
    response = await post(gql, config["intake"]["webhookPath"], config["secret"], [rd_lead()])
    # then it is answered at once, and captured after commit
    assert response.status_code == 200 and response.json() == {"ok": True, "stored": 1}
    await eventually(lambda: captured(1), timeout=20)
    contact = await Contact.get(email="lia.prado@example.com")
    assert contact.name == "Lia Prado" and contact.phone is not None and contact.phone.endswith("987654321")
    assert contact.custom_fields == {"Renda familiar": "R$ 15.000"}
    [touchpoint] = await Touchpoint.filter(contact_id=contact.id)
    assert (touchpoint.source, touchpoint.media, touchpoint.campaign) == (
        "rdstation",
        "paid-social",
        "lancamento-jardins",
    )
    assert touchpoint.utm["utm_source"] == "facebook"
    assert touchpoint.utm["conversion_identifier"] == "lp-residencial-jardins"
    captured_event = await Event.get(kind="lead.captured", contact_id=contact.id)
    assert captured_event.actor_label == "RD Station Marketing"
    assert await Event.filter(kind="deal.created", contact_id=contact.id).count() == 1


async def test_the_same_conversion_sent_again_captures_nothing_more(gql, workspace):
    config = await configure(gql, workspace.token)
    path, secret = config["intake"]["webhookPath"], config["secret"]
    assert (await post(gql, path, secret, [rd_lead()])).json()["stored"] == 1
    await eventually(lambda: captured(1), timeout=20)
    # when RD Station retries the same body (header form of the secret this time)
    again = await post(gql, path, secret, [rd_lead()], how="header")
    assert again.status_code == 200 and again.json()["stored"] == 0
    # and a new conversion of the same lead arrives later
    later = await post(gql, path, secret, [rd_lead(at="2026-12-06T09:00:00-03:00")])
    assert later.json()["stored"] == 1
    await eventually(lambda: captured(2), timeout=20)
    # then one contact with two touchpoints: the retry captured nothing
    assert await Contact.all().count() == 1
    assert await Touchpoint.all().count() == 2
    assert await Event.filter(kind="lead.reentered").count() == 1


async def test_a_wrong_missing_or_old_secret_is_refused_and_nothing_is_stored(
    gql, workspace, other_workspace
):
    first = await configure(gql, workspace.token)
    path = first["intake"]["webhookPath"]
    rotated = await configure(gql, workspace.token)
    theirs = await configure(gql, other_workspace.token)
    for token in (None, "rds_wrong", first["secret"], theirs["secret"]):
        response = await post(gql, path, token, [rd_lead()])
        assert response.status_code == 401, token
    # an unknown workspace answers the same
    assert (
        await post(gql, "/webhooks/rdstation/V29ya3NwYWNlOjk5OTk=", rotated["secret"], [rd_lead()])
    ).status_code == 401
    # a disabled intake refuses its own secret
    off = await configure(gql, workspace.token, enabled=False)
    assert (await post(gql, path, off["secret"], [rd_lead()])).status_code == 401
    assert await MarketingConversion.all().count() == 0


async def test_a_body_that_is_not_rd_stations_is_refused_and_a_lead_without_contact_data_is_marked(
    gql, workspace
):
    config = await configure(gql, workspace.token)
    path, secret = config["intake"]["webhookPath"], config["secret"]
    bad = await gql.http.post(gql.server.url + path + f"?token={secret}", content=b'{"contact": {}}')
    assert bad.status_code == 400
    nobody = rd_lead(email="", personal_phone="", mobile_phone="")
    nobody["last_conversion"]["content"].pop("telefone")
    nobody["last_conversion"]["content"]["email_lead"] = ""
    assert (await post(gql, path, secret, [nobody])).json()["stored"] == 1
    await eventually(lambda: captured(1), timeout=20)
    row = await MarketingConversion.get()
    assert row.error and "e-mail ou telefone" in row.error
    assert await Contact.all().count() == 0


async def test_an_event_of_rd_stations_webhooks_api_is_taken_too(gql, workspace):
    config = await configure(gql, workspace.token)
    event = {
        "event_type": "WEBHOOK.CONVERTED",
        "entity_type": "CONTACT",
        "event_identifier": "lp-residencial-jardins",
        "timestamp": "2026-12-05T14:09:02.724-03:00",
        "event_timestamp": "2026-12-05T14:07:04.254-03:00",
        "contact": {
            "uuid": "c2f3d2b3-7250-4d27-97f4-eef38be32f7f",
            "email": "bia@example.com",
            "name": "Bia Lopes",
            "personal_phone": "48 30252598",
            "mobile_phone": "(48) 99876-5432",
            "tags": ["jardins"],
            "cf_renda_familiar": "R$ 15.000",
            "funnel": {"name": "default", "lifecycle_stage": "Lead", "opportunity": False},
        },
    }
    url = gql.server.url + config["intake"]["webhookPath"] + f"?token={config['secret']}"
    first = await gql.http.post(url, content=json.dumps(event), headers={"content-type": "application/json"})
    again = await gql.http.post(url, content=json.dumps(event), headers={"content-type": "application/json"})
    assert (first.json()["stored"], again.json()["stored"]) == (1, 0)
    await eventually(lambda: captured(1), timeout=20)
    contact = await Contact.get(email="bia@example.com")
    assert contact.custom_fields == {"cf_renda_familiar": "R$ 15.000"}
    [touchpoint] = await Touchpoint.filter(contact_id=contact.id)
    assert touchpoint.source == "rdstation" and touchpoint.campaign == "lp-residencial-jardins"


async def test_a_conversion_stored_but_never_captured_is_swept_up(gql, workspace):
    # given a conversion stored and answered 200 by a process that died before its task ran
    from datetime import UTC, datetime, timedelta

    from revgraph.resolvers.ids import decode_id
    from revgraph.resolvers.partners.rdstation import dedupe_key
    from revgraph.tasks.partners import sweep_rdstation_conversions

    await configure(gql, workspace.token)
    workspace_pk = decode_id(workspace.admin["id"])
    assert workspace_pk is not None
    admin = await User.get(id=workspace_pk[1])
    lead = rd_lead()
    await MarketingConversion.create(
        workspace_id=admin.workspace_id,
        provider="rdstation",
        dedupe_key=dedupe_key(lead),
        payload=lead,
        received_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    # when the sweep runs (at start, then periodically)
    sweep_rdstation_conversions.send()
    # then the lead is captured, once
    await eventually(lambda: captured(1), timeout=20)
    assert await Contact.filter(email="lia.prado@example.com").count() == 1
