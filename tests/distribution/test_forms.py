"""Capture forms: their configuration (ADMIN only) and the public endpoint
POST /f/{key} — mapping, origin, honeypot, rate limit, answers for JSON
callers and for browsers."""

from __future__ import annotations

import re
import uuid
from typing import Any

from revgraph.models.crm import Contact
from revgraph.models.distribution import Touchpoint
from revgraph.models.events import Event
from revgraph.resolvers.ids import pk_of
from tests.distribution.support import create_queue
from tests.pipeline.support import create_pipeline

FORM_FIELDS = """
  id key name fieldMapping source media campaign thankYouUrl honeypotField endpoint createdAt archivedAt
  queue { id } pipeline { id }
"""
CREATE_FORM = f"""
mutation CreateForm($input: FormInput!) {{
  createForm(input: $input) {{ form {{ {FORM_FIELDS} }} userErrors {{ code message field }} }}
}}
"""
UPDATE_FORM = f"""
mutation UpdateForm($id: ID!, $input: UpdateFormInput!) {{
  updateForm(id: $id, input: $input) {{ form {{ {FORM_FIELDS} }} userErrors {{ code message field }} }}
}}
"""
ARCHIVE_FORM = """
mutation ArchiveForm($id: ID!) {
  archiveForm(id: $id) { form { id archivedAt } userErrors { code message field } }
}
"""
FORMS = "query($all: Boolean!) { forms(includeArchived: $all) { id name key } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Form { key } } }"
CONTACT = """
query($id: ID!) {
  contact(id: $id) {
    id name email phone source customFields owner { id }
    deals(first: 5) { edges { node { id stage { name } owner { id } } } }
    timeline(first: 20) { edges { node { kind data } } }
  }
}
"""
CONTACTS = "query { contacts(first: 100) { totalCount } }"


async def create_form(gql: Any, token: str, **fields: Any) -> dict[str, Any]:
    data = await gql.ok(CREATE_FORM, {"input": {"name": "Lançamento Vila Mariana", **fields}}, token=token)
    payload = data["createForm"]
    assert payload["userErrors"] == [], payload
    return payload["form"]


async def post_json(gql: Any, form: dict[str, Any] | str, body: Any, **kwargs: Any) -> Any:
    path = form if isinstance(form, str) else form["endpoint"]
    return await gql.http.post(gql.server.url + path, json=body, **kwargs)


async def post_html(
    gql: Any, form: dict[str, Any], fields: dict[str, str], headers: dict[str, str] | None = None
) -> Any:
    """What a browser's form submission sends: urlencoded, accepting HTML."""
    return await gql.http.post(
        gql.server.url + form["endpoint"], data=fields, headers={"accept": "text/html", **(headers or {})}
    )


async def contact_count(gql: Any, token: str) -> int:
    return (await gql.ok(CONTACTS, token=token))["contacts"]["totalCount"]


async def lead(gql: Any, token: str, contact_id: str) -> dict[str, Any]:
    return (await gql.ok(CONTACT, {"id": contact_id}, token=token))["contact"]


async def lead_by_email(gql: Any, token: str, email: str) -> dict[str, Any]:
    """The form answers only "received": find the lead as the team would."""
    data = await gql.ok(CONTACTS_BY_EMAIL, {"email": email}, token=token)
    [edge] = data["contacts"]["edges"]
    return await lead(gql, token, edge["node"]["id"])


CONTACTS_BY_EMAIL = "query($email: String!) { contacts(search: $email) { edges { node { id } } } }"


def timeline(contact: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["node"]["data"] for e in contact["timeline"]["edges"] if e["node"]["kind"] == kind]


async def test_admin_creates_lists_updates_and_archives_a_form(gql, workspace):
    # given a queue and a pipeline
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    pipeline = await create_pipeline(gql, workspace.token)
    # when the admin creates a form
    form = await create_form(
        gql,
        workspace.token,
        fieldMapping={"nome": "name", "interesse": "customFields.interesse"},
        media="paid",
        campaign="vila-mariana",
        queueId=queue["id"],
        pipelineId=pipeline["id"],
        thankYouUrl="https://imobiliaria.example/obrigado",
    )
    # then it has an unguessable url-safe key, its endpoint and the defaults
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", form["key"])
    assert form["endpoint"] == f"/f/{form['key']}"
    assert (form["source"], form["honeypotField"], form["archivedAt"]) == ("form", "website", None)
    assert form["queue"]["id"] == queue["id"] and form["pipeline"]["id"] == pipeline["id"]
    other = await create_form(gql, workspace.token, name="Outro")
    assert other["key"] != form["key"]
    listed = (await gql.ok(FORMS, {"all": False}, token=workspace.token))["forms"]
    assert [f["id"] for f in listed] == [form["id"], other["id"]]
    assert (await gql.ok(NODE, {"id": form["id"]}, token=workspace.token))["node"]["key"] == form["key"]

    # when only the name and thank-you URL change
    updated = await gql.ok(
        UPDATE_FORM,
        {"id": form["id"], "input": {"name": "Vila Mariana — fase 2", "thankYouUrl": None}},
        token=workspace.token,
    )
    changed = updated["updateForm"]["form"]
    assert updated["updateForm"]["userErrors"] == []
    assert (changed["name"], changed["thankYouUrl"]) == ("Vila Mariana — fase 2", None)
    # then the rest, and the published key, stay
    assert changed["key"] == form["key"] and changed["campaign"] == "vila-mariana"
    assert changed["fieldMapping"] == {"nome": "name", "interesse": "customFields.interesse"}

    # when it is archived
    archived = await gql.ok(ARCHIVE_FORM, {"id": form["id"]}, token=workspace.token)
    assert archived["archiveForm"]["form"]["archivedAt"] is not None
    # then it leaves the list but can still be listed with the archived ones
    assert [f["id"] for f in (await gql.ok(FORMS, {"all": False}, token=workspace.token))["forms"]] == [
        other["id"]
    ]
    assert len((await gql.ok(FORMS, {"all": True}, token=workspace.token))["forms"]) == 2
    kinds = [e.kind for e in await Event.filter(kind__startswith="form.").order_by("id")]
    assert kinds == ["form.created", "form.created", "form.updated", "form.archived"]
    update_event = await Event.get(kind="form.updated")
    assert update_event.data["changed"] == ["name", "thank_you_url"]


async def test_form_configuration_is_validated_field_by_field(gql, workspace, other_workspace):
    foreign_queue = await create_queue(
        gql, other_workspace.token, [{"userId": other_workspace.admin["id"]}], name="Deles"
    )
    cases = [
        ({"fieldMapping": {"nome": "nickname"}}, ("INVALID", ["input", "fieldMapping", "nome"])),
        (
            {"fieldMapping": {"a": "email", "b": "email"}},
            ("DUPLICATE", ["input", "fieldMapping", "b"]),
        ),
        ({"fieldMapping": ["name"]}, ("INVALID", ["input", "fieldMapping"])),
        ({"thankYouUrl": "javascript:alert(1)"}, ("INVALID", ["input", "thankYouUrl"])),
        ({"thankYouUrl": "/obrigado"}, ("INVALID", ["input", "thankYouUrl"])),
        ({"honeypotField": "email"}, ("INVALID", ["input", "honeypotField"])),
        (
            {"fieldMapping": {"site": "name"}, "honeypotField": "site"},
            ("INVALID", ["input", "honeypotField"]),
        ),
        ({"queueId": foreign_queue["id"]}, ("NOT_FOUND", ["input", "queueId"])),
        ({"pipelineId": "bm9wZQ"}, ("NOT_FOUND", ["input", "pipelineId"])),
        ({"name": "  "}, ("INVALID", ["input", "name"])),
    ]
    for fields, expected in cases:
        data = await gql.ok(CREATE_FORM, {"input": {"name": "Form", **fields}}, token=workspace.token)
        errors = data["createForm"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [expected], fields
        assert data["createForm"]["form"] is None
    # nothing was written for any of them
    assert (await gql.ok(FORMS, {"all": True}, token=workspace.token))["forms"] == []
    assert not await Event.filter(kind__startswith="form.").exists()


async def test_agents_and_managers_may_not_configure_forms(gql, workspace):
    form = await create_form(gql, workspace.token)
    for role in ("AGENT", "MANAGER"):
        user = await workspace.user(role)
        for document, variables in (
            (CREATE_FORM, {"input": {"name": "Meu form"}}),
            (UPDATE_FORM, {"id": form["id"], "input": {"name": "Meu form"}}),
            (ARCHIVE_FORM, {"id": form["id"]}),
            (FORMS, {"all": True}),
        ):
            body = await gql(document, variables, token=user["token"])
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], document
        # and the form is not even there for them through node()
        assert (await gql.ok(NODE, {"id": form["id"]}, token=user["token"]))["node"] is None
    anonymous = await gql(FORMS, {"all": False})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # nothing changed
    forms = (await gql.ok(FORMS, {"all": True}, token=workspace.token))["forms"]
    assert [(f["id"], f["name"]) for f in forms] == [(form["id"], form["name"])]
    assert await Event.filter(kind__startswith="form.").count() == 1


async def test_another_workspace_cannot_touch_a_form(gql, workspace, other_workspace):
    form = await create_form(gql, workspace.token)
    for document, variables in (
        (UPDATE_FORM, {"id": form["id"], "input": {"name": "Roubado"}}),
        (ARCHIVE_FORM, {"id": form["id"]}),
    ):
        data = await gql.ok(document, variables, token=other_workspace.token)
        payload = next(iter(data.values()))
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["id"])]
    assert (await gql.ok(NODE, {"id": form["id"]}, token=other_workspace.token))["node"] is None
    forms = (await gql.ok(FORMS, {"all": False}, token=workspace.token))["forms"]
    assert [f["name"] for f in forms] == [form["name"]]


async def test_json_post_captures_a_lead_with_its_origin(gql, workspace):
    form = await create_form(
        gql,
        workspace.token,
        source="site",
        media="paid",
        campaign="vila-mariana",
        fieldMapping={"nome": "name", "e-mail": "email", "interesse": "customFields.interesse"},
    )
    # when a landing page posts JSON, with UTM in its action URL and its body
    response = await post_json(
        gql,
        form["endpoint"] + "?utm_source=google&utm_medium=cpc",
        {
            "nome": "Maria Souza",
            "e-mail": "Maria@Example.com",
            "phone": "(11) 98765-4321",
            "message": "Quero visitar o decorado",
            "interesse": "2 quartos",
            "utm_campaign": "lancamento",
            "utm_medium": "paid-social",
            "ignored": "not mapped",
        },
        headers={"referer": "https://imobiliaria.example/vila-mariana"},
    )
    # then it answers 201 with the new contact
    assert response.status_code == 201, response.text
    # (and nothing more: whether the person was known is not the poster's business)
    assert response.json() == {"ok": True}
    assert response.headers["access-control-allow-origin"] == "*"
    contact = await lead_by_email(gql, workspace.token, "maria@example.com")
    assert (contact["name"], contact["email"], contact["phone"], contact["source"]) == (
        "Maria Souza",
        "maria@example.com",
        "+5511987654321",
        "site",
    )
    assert contact["customFields"] == {"interesse": "2 quartos"}
    # and the origin is on the timeline, attributed to the form
    (captured,) = timeline(contact, "lead.captured")
    assert captured["utm"] == {
        "utm_source": "google",
        "utm_medium": "paid-social",
        "utm_campaign": "lancamento",
    }
    assert captured["landingPage"] == "https://imobiliaria.example/vila-mariana"
    assert captured["formId"] == pk_of(form["id"], "Form")
    assert (captured["source"], captured["media"], captured["campaign"]) == ("site", "paid", "vila-mariana")
    assert captured["message"] == "Quero visitar o decorado"
    touchpoint = await Touchpoint.get(contact_id=pk_of(contact["id"], "Contact"))
    assert touchpoint.form_id == pk_of(form["id"], "Form")
    event = await Event.get(kind="lead.captured")
    assert event.actor_user_id is None and event.actor_label == f"form:{form['name']}"


async def test_a_posted_landing_page_wins_over_the_referer(gql, workspace):
    form = await create_form(gql, workspace.token)
    response = await post_json(
        gql,
        form,
        {"email": "lp@example.com", "landing_page": "https://lp.example/a"},
        headers={"referer": "https://other.example/"},
    )
    assert response.status_code == 201
    contact = await lead_by_email(gql, workspace.token, "lp@example.com")
    # a form asking only for an e-mail names the lead after it
    assert contact["name"] == "lp@example.com"
    assert timeline(contact, "lead.captured")[0]["landingPage"] == "https://lp.example/a"
    # a Referer too long to keep costs the lead nothing
    response = await post_json(
        gql, form, {"email": "lp2@example.com"}, headers={"referer": "https://lp.example/?" + "q" * 3000}
    )
    assert response.status_code == 201
    contact = await lead_by_email(gql, workspace.token, "lp2@example.com")
    assert timeline(contact, "lead.captured")[0]["landingPage"] is None


async def test_html_post_redirects_to_the_thank_you_url(gql, workspace):
    form = await create_form(gql, workspace.token, thankYouUrl="https://imobiliaria.example/obrigado?lp=vm")
    response = await post_html(gql, form, {"name": "João Lima", "email": "joao@example.com"})
    assert response.status_code == 303
    assert response.headers["location"] == "https://imobiliaria.example/obrigado?lp=vm&ok=1"
    assert await Contact.filter(email="joao@example.com").count() == 1


async def test_multipart_post_without_thank_you_url_answers_a_thank_you_page(gql, workspace):
    form = await create_form(gql, workspace.token, fieldMapping={"telefone": "phone"})
    response = await gql.http.post(
        gql.server.url + form["endpoint"],
        data={"name": "Conceição Araújo", "telefone": "11 91234-5678"},
        files={"cv": ("cv.txt", b"not lead data", "text/plain")},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html") and "Obrigado" in response.text
    contact = await Contact.get(phone="+5511912345678")
    assert contact.name == "Conceição Araújo"


async def test_invalid_posts_are_refused_naming_the_posted_field_and_capture_nothing(gql, workspace):
    form = await create_form(gql, workspace.token, fieldMapping={"seu_email": "email"})
    # a JSON caller gets the problems as data
    response = await post_json(gql, form, {"name": "Ana", "seu_email": "not-an-email"})
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False
    assert [(e["code"], e["field"]) for e in body["errors"]] == [("INVALID", ["seu_email"])]
    # nothing to reach the lead by
    response = await post_json(gql, form, {"name": "Ana"})
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [("INVALID", ["seu_email"])]
    # a browser gets a page listing them
    response = await post_html(gql, form, {"name": "Ana", "phone": "123"})
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    assert "Não é um telefone válido" in response.text
    # a body that is not a JSON object is a bad request
    response = await post_json(gql, form, ["Ana", "ana@example.com"])
    assert response.status_code == 400
    assert await contact_count(gql, workspace.token) == 0
    assert not await Event.filter(kind__startswith="lead.").exists()


async def test_filled_honeypot_looks_like_success_and_captures_nothing(gql, workspace):
    form = await create_form(gql, workspace.token, thankYouUrl="https://imobiliaria.example/obrigado")
    events_before = await Event.all().count()
    bot = {"name": "Bot", "email": "bot@spam.example", "website": "http://spam.example"}
    # when a bot fills the hidden field, as JSON and as a browser form
    as_json = await post_json(gql, form, bot)
    as_html = await post_html(gql, form, bot)
    # then both answers are the success ones
    assert as_json.status_code == 201 and as_json.json() == {"ok": True}
    assert as_html.status_code == 303 and as_html.headers["location"].endswith("?ok=1")
    # and nothing was captured or recorded
    assert await contact_count(gql, workspace.token) == 0
    assert await Touchpoint.all().count() == 0
    assert await Event.all().count() == events_before
    # a real visitor (hidden field empty) still gets through
    real = await post_json(gql, form, {**bot, "website": ""})
    assert real.status_code == 201 and await contact_count(gql, workspace.token) == 1


async def test_unknown_or_archived_form_keys_answer_404(gql, workspace):
    form = await create_form(gql, workspace.token)
    await gql.ok(ARCHIVE_FORM, {"id": form["id"]}, token=workspace.token)
    for path in (form["endpoint"], f"/f/{uuid.uuid4().hex}", "/f/" + "x" * 300):
        response = await post_json(gql, path, {"name": "Ana", "email": "ana@example.com"})
        assert response.status_code == 404, path
        assert response.json() == {"ok": False, "error": "NOT_FOUND", "message": "Formulário inexistente."}
    assert await contact_count(gql, workspace.token) == 0


async def test_posts_are_rate_limited_per_client_ip_and_form(gql, workspace, server):
    form = await create_form(gql, workspace.token)
    other_form = await create_form(gql, workspace.token, name="Outro")
    limit = server.settings.limits.form_posts_per_window
    # the test server trusts X-Forwarded-For from loopback, as behind a proxy
    ip = {"x-forwarded-for": "203.0.113.7"}
    # honeypot posts count like any other (and keep the test cheap)
    bot = {"name": "Bot", "email": "bot@example.com", "website": "x"}
    for _ in range(limit):
        assert (await post_json(gql, form, bot, headers=ip)).status_code == 201
    # when one more arrives from that address, even a real lead
    refused = await post_json(gql, form, {"name": "Ana", "email": "ana@example.com"}, headers=ip)
    # then it is refused with when to retry, and nothing is captured
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= server.settings.limits.form_post_window_seconds
    assert refused.json()["error"] == "RATE_LIMITED"
    browser = await post_html(gql, form, {"name": "Ana", "email": "ana@example.com"}, headers=ip)
    assert browser.status_code == 429 and "retry-after" in browser.headers
    assert await contact_count(gql, workspace.token) == 0
    # while another address, and another form, still get through
    other_ip = {"x-forwarded-for": "198.51.100.9"}
    assert (
        await post_json(gql, form, {"name": "Ana", "email": "ana@example.com"}, headers=other_ip)
    ).status_code == 201
    assert (
        await post_json(gql, other_form, {"name": "Bia", "email": "bia@example.com"}, headers=ip)
    ).status_code == 201
    assert await contact_count(gql, workspace.token) == 2


async def test_form_with_queue_distributes_and_with_pipeline_opens_a_deal(gql, workspace):
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    pipeline = await create_pipeline(gql, workspace.token)
    form = await create_form(gql, workspace.token, queueId=queue["id"], pipelineId=pipeline["id"])
    response = await post_json(gql, form, {"name": "Carlos", "email": "carlos@example.com"})
    assert response.status_code == 201
    contact = await lead_by_email(gql, workspace.token, "carlos@example.com")
    assert contact["owner"]["id"] == agent["id"]
    (deal,) = [e["node"] for e in contact["deals"]["edges"]]
    assert deal["owner"]["id"] == agent["id"] and deal["stage"]["name"] == "Novo lead"
    assert len(timeline(contact, "assignment.made")) == 1


async def test_a_returning_lead_reenters_through_the_form(gql, workspace):
    form = await create_form(gql, workspace.token, campaign="primeira", fieldMapping={"campanha": "campaign"})
    first = await post_json(gql, form, {"name": "Rita", "email": "rita@example.com"})
    again = await post_json(
        gql,
        form,
        {"name": "Rita S.", "email": "RITA@example.com", "phone": "11 97777-6666", "campanha": "segunda"},
    )
    assert first.status_code == again.status_code == 201
    # the returning lead is told exactly what a new one is told
    assert first.json() == again.json() == {"ok": True}
    contact = await lead_by_email(gql, workspace.token, "rita@example.com")
    assert contact["name"] == "Rita" and contact["phone"] == "+5511977776666"
    # the second arrival's own campaign wins over the form's default
    (reentered,) = timeline(contact, "lead.reentered")
    assert reentered["campaign"] == "segunda" and reentered["formId"] == pk_of(form["id"], "Form")
    assert await contact_count(gql, workspace.token) == 1


async def test_endpoint_transport_rules(gql, workspace, server):
    form = await create_form(gql, workspace.token)
    url = gql.server.url + form["endpoint"]
    # any page may post with fetch(): the preflight is answered
    preflight = await gql.http.options(
        url, headers={"origin": "https://lp.example", "access-control-request-method": "POST"}
    )
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    # other content types are refused
    text = await gql.http.post(url, content=b"email=a@example.com", headers={"content-type": "text/plain"})
    assert text.status_code == 415
    # bodies past the capture limit are refused before being read as a lead
    big = {
        "name": "Ana",
        "email": "ana@example.com",
        "message": "x" * server.settings.limits.capture_max_body_bytes,
    }
    assert (await post_json(gql, form, big)).status_code == 413
    # a session cookie or bearer token changes nothing: the lead has no owner
    agent = await workspace.user("AGENT")
    response = await post_json(
        gql,
        form,
        {"name": "Ana", "email": "ana@example.com"},
        headers={"authorization": f"Bearer {agent['token']}", "cookie": f"session={agent['token']}"},
    )
    assert response.status_code == 201
    assert (await lead_by_email(gql, workspace.token, "ana@example.com"))["owner"] is None
    assert await contact_count(gql, workspace.token) == 1
