"""Campos adicionais, written: customFields of contacts, companies and deals
(create, update, moveDeal's patch, captureLead, /api/leads) are checked
against the definitions, a userError per bad field, stored normalised;
required fields on create; keys without a definition once an entity has
them; values from before the definitions ride along."""

from __future__ import annotations

from revgraph.models.crm import Contact
from revgraph.resolvers.ids import decode_id
from tests.distribution.support import CAPTURE
from tests.graph.custom_field_support import (
    ARCHIVE_DEFINITION,
    CONTACT_CUSTOM_FIELDS,
    define,
    define_contact_fields,
)
from tests.graph.documents import CREATE_COMPANY, CREATE_CONTACT, UPDATE_CONTACT, create_contact
from tests.pipeline.support import CREATE_DEAL, MOVE_DEAL, UPDATE_DEAL, create_deal, create_pipeline

COMPANY_FIELDS = "query CompanyFields($id: ID!) { company(id: $id) { id customFields } }"
UPDATE_COMPANY = """
mutation UpdateCompany($id: ID!, $input: CompanyUpdateInput!) {
  updateCompany(id: $id, input: $input) { company { id customFields } userErrors { code message field } }
}
"""
CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { code } } }
"""

GOOD = {
    "bairro": "  Vila Mariana ",
    "dependentes": "2",
    "renda_mensal": "8500,5",
    "nascimento": "31/03/1990",
    "financiamento": "sim",
    "tipologia": "2 quartos",
    "interesses": "piscina, Varanda gourmet",
}
STORED = {
    "bairro": "Vila Mariana",
    "dependentes": 2,
    "renda_mensal": "8500.5",
    "nascimento": "1990-03-31",
    "financiamento": True,
    "tipologia": "dois_quartos",
    "interesses": ["piscina", "varanda"],
}
BAD = {
    "bairro": {"rua": "x"},
    "dependentes": 2.5,
    "renda_mensal": "muito",
    "nascimento": "2025-02-30",
    "financiamento": "talvez",
    "tipologia": "cobertura",
    "interesses": ["piscina", "sauna"],
}


async def contacts_named(name: str) -> int:
    return await Contact.filter(name=name).count()


async def test_each_type_is_stored_normalised(gql, workspace):
    # given one contact field of each type
    await define_contact_fields(gql, workspace.token)

    # when an agent creates a lead with values as people type them
    agent = await workspace.user("AGENT")
    contact = await create_contact(gql, agent["token"], name="Ana Lima", customFields=GOOD)

    # then each is stored in its type's one form
    assert contact["customFields"] == STORED
    # and the native forms are accepted as they are
    native = await create_contact(
        gql,
        agent["token"],
        name="Bruno Reis",
        customFields={**STORED, "renda_mensal": 12000.75, "dependentes": 0, "financiamento": False},
    )
    assert native["customFields"] == {
        **STORED,
        "renda_mensal": "12000.75",
        "dependentes": 0,
        "financiamento": False,
    }
    # and null or blank clears a field
    data = await gql.ok(
        UPDATE_CONTACT,
        {"id": contact["id"], "input": {"customFields": {**STORED, "bairro": " ", "interesses": []}}},
        token=agent["token"],
    )
    assert data["updateContact"]["userErrors"] == []
    assert data["updateContact"]["contact"]["customFields"] == {
        k: v for k, v in STORED.items() if k not in ("bairro", "interesses")
    }


async def test_every_bad_value_is_its_own_user_error_and_nothing_is_created(gql, workspace):
    # given one contact field of each type
    await define_contact_fields(gql, workspace.token)

    # when a contact is created with a bad value in each, and a key no field has
    data = await gql.ok(
        CREATE_CONTACT,
        {"input": {"name": "Carla Dias", "customFields": {**BAD, "renda_mensal_": "1"}}},
        token=workspace.token,
    )

    # then each field is refused on its own path, and no contact exists
    payload = data["createContact"]
    assert payload["contact"] is None
    refused = {tuple(e["field"]): e for e in payload["userErrors"]}
    assert sorted(refused) == sorted(("input", "customFields", key) for key in [*BAD, "renda_mensal_"])
    assert {e["code"] for e in payload["userErrors"]} == {"INVALID"}
    assert "Tipologia (tipologia)" in refused[("input", "customFields", "tipologia")]["message"]
    assert "studio, dois_quartos, tres_quartos" in refused[("input", "customFields", "tipologia")]["message"]
    assert (
        "Nenhum campo adicional 'renda_mensal_'"
        in refused[("input", "customFields", "renda_mensal_")]["message"]
    )
    assert await contacts_named("Carla Dias") == 0


async def test_a_required_field_is_needed_to_create_but_not_to_update_or_capture(gql, workspace):
    # given a required contact field
    await define(
        gql, workspace.token, key="renda_mensal", label="Renda mensal", type="DECIMAL", required=True
    )

    # when a contact is created without it
    data = await gql.ok(CREATE_CONTACT, {"input": {"name": "Davi Souza"}}, token=workspace.token)
    # then it is refused as missing, on its path, and nothing was created
    assert data["createContact"]["userErrors"] == [
        {
            "code": "REQUIRED_FIELD_MISSING",
            "message": "Renda mensal (renda_mensal) é obrigatório para criar um(a) contato.",
            "field": ["input", "customFields", "renda_mensal"],
        }
    ]
    assert await contacts_named("Davi Souza") == 0

    # when it is created with it, then cleared by an update
    contact = await create_contact(
        gql, workspace.token, name="Davi Souza", customFields={"renda_mensal": "4500"}
    )
    cleared = await gql.ok(
        UPDATE_CONTACT, {"id": contact["id"], "input": {"customFields": {}}}, token=workspace.token
    )
    # then the update is fine (required on create only)
    assert cleared["updateContact"]["userErrors"] == []

    # when a lead is captured without it, then with a bad value
    captured = await gql.ok(
        CAPTURE,
        {"input": {"name": "Eva Nunes", "email": "eva@example.com", "source": "site"}},
        token=workspace.token,
    )
    bad = await gql.ok(
        CAPTURE,
        {
            "input": {
                "name": "Fábio Luz",
                "email": "fabio@example.com",
                "source": "site",
                "customFields": {"renda_mensal": "alta"},
            }
        },
        token=workspace.token,
    )
    # then the lead without it is captured (a lead is never lost over a field)
    assert captured["captureLead"]["userErrors"] == [] and captured["captureLead"]["created"] is True
    # and the bad value is refused like any write, capturing nothing
    assert [(e["code"], e["field"]) for e in bad["captureLead"]["userErrors"]] == [
        ("INVALID", ["input", "customFields", "renda_mensal"])
    ]
    assert await contacts_named("Fábio Luz") == 0


async def test_values_from_before_the_definitions_ride_along_but_no_new_undefined_key_is_taken(
    gql, workspace
):
    # given a contact with free custom fields, written before any definition
    contact = await create_contact(
        gql, workspace.token, name="Gil Prado", customFields={"indicado_por": "Rita", "dependentes": "dois"}
    )
    # when the admin defines dependentes as a NUMBER (and nothing else)
    field = await define(gql, workspace.token, key="dependentes", label="Dependentes", type="NUMBER")

    # then an update that sends the old values back unchanged, and changes a name, is fine
    kept = await gql.ok(
        UPDATE_CONTACT,
        {"id": contact["id"], "input": {"name": "Gil Prado Jr", "customFields": contact["customFields"]}},
        token=workspace.token,
    )
    assert kept["updateContact"]["userErrors"] == []
    assert kept["updateContact"]["contact"]["customFields"] == {"indicado_por": "Rita", "dependentes": "dois"}
    # while changing either is checked: the undefined key refused, the defined one typed
    changed = await gql.ok(
        UPDATE_CONTACT,
        {"id": contact["id"], "input": {"customFields": {"indicado_por": "Rui", "dependentes": "três"}}},
        token=workspace.token,
    )
    assert [(e["code"], e["field"]) for e in changed["updateContact"]["userErrors"]] == [
        ("INVALID", ["input", "customFields", "indicado_por"]),
        ("INVALID", ["input", "customFields", "dependentes"]),
    ]
    fixed = await gql.ok(
        UPDATE_CONTACT,
        {"id": contact["id"], "input": {"customFields": {"indicado_por": "Rita", "dependentes": 3}}},
        token=workspace.token,
    )
    assert fixed["updateContact"]["contact"]["customFields"] == {"indicado_por": "Rita", "dependentes": 3}

    # when the field is archived, its value stays but cannot be set again
    await gql.ok(ARCHIVE_DEFINITION, {"id": field["id"]}, token=workspace.token)
    stays = await gql.ok(CONTACT_CUSTOM_FIELDS, {"id": contact["id"]}, token=workspace.token)
    assert stays["contact"]["customFields"]["dependentes"] == 3
    refused = await gql.ok(
        UPDATE_CONTACT,
        {"id": contact["id"], "input": {"customFields": {"indicado_por": "Rita", "dependentes": 4}}},
        token=workspace.token,
    )
    errors = refused["updateContact"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID", ["input", "customFields", "dependentes"])
    ]
    assert "arquivado" in errors[0]["message"]
    # and an entity without definitions keeps free JSON
    company = await gql.ok(
        CREATE_COMPANY,
        {"input": {"name": "Construtora Alfa", "customFields": {"qualquer": [1, 2]}}},
        token=workspace.token,
    )
    assert company["createCompany"]["userErrors"] == []


async def test_companies_and_deals_are_checked_on_every_write_path(gql, workspace):
    # given a required company field and a deal field
    await define(gql, workspace.token, entity="COMPANY", key="cnpj", label="CNPJ", type="TEXT", required=True)
    await define(
        gql,
        workspace.token,
        entity="DEAL",
        key="entrada",
        label="Valor de entrada",
        type="DECIMAL",
        required=True,
    )
    pipeline = await create_pipeline(gql, workspace.token)

    # when a company and a deal are created without their required fields
    company = await gql.ok(CREATE_COMPANY, {"input": {"name": "Construtora Beta"}}, token=workspace.token)
    deal = await gql.ok(
        CREATE_DEAL, {"input": {"title": "Apto 101", "pipelineId": pipeline["id"]}}, token=workspace.token
    )
    # then both are refused on the field
    assert [(e["code"], e["field"]) for e in company["createCompany"]["userErrors"]] == [
        ("REQUIRED_FIELD_MISSING", ["input", "customFields", "cnpj"])
    ]
    assert [(e["code"], e["field"]) for e in deal["createDeal"]["userErrors"]] == [
        ("REQUIRED_FIELD_MISSING", ["input", "customFields", "entrada"])
    ]

    # when they are created with them, then changed with bad values
    made = await gql.ok(
        CREATE_COMPANY,
        {"input": {"name": "Construtora Beta", "customFields": {"cnpj": "12.345.678/0001-90"}}},
        token=workspace.token,
    )
    company_id = made["createCompany"]["company"]["id"]
    deal = await create_deal(gql, workspace.token, pipeline["id"], customFields={"entrada": "50000"})
    assert deal["customFields"] == {"entrada": "50000"}
    bad_company = await gql.ok(
        UPDATE_COMPANY, {"id": company_id, "input": {"customFields": {"cnpj": ["x"]}}}, token=workspace.token
    )
    bad_deal = await gql.ok(
        UPDATE_DEAL,
        {"id": deal["id"], "input": {"customFields": {"entrada": "R$ 50 mil"}}},
        token=workspace.token,
    )
    bad_move = await gql.ok(
        MOVE_DEAL,
        {
            "input": {
                "dealId": deal["id"],
                "stageId": pipeline["stage"]["Em contato"],
                "patch": {"customFields": {"entrada": True}},
            }
        },
        token=workspace.token,
    )
    # then each is refused on its path, the deal's through the move's patch
    assert [(e["code"], e["field"]) for e in bad_company["updateCompany"]["userErrors"]] == [
        ("INVALID", ["input", "customFields", "cnpj"])
    ]
    assert [(e["code"], e["field"]) for e in bad_deal["updateDeal"]["userErrors"]] == [
        ("INVALID", ["input", "customFields", "entrada"])
    ]
    assert [(e["code"], e["field"]) for e in bad_move["moveDeal"]["userErrors"]] == [
        ("INVALID", ["input", "patch", "customFields", "entrada"])
    ]
    # and nothing changed
    company_now = await gql.ok(COMPANY_FIELDS, {"id": company_id}, token=workspace.token)
    assert company_now["company"]["customFields"] == {"cnpj": "12.345.678/0001-90"}
    deal_now = await gql.ok(
        "query($id: ID!) { deal(id: $id) { customFields version stage { name } } }",
        {"id": deal["id"]},
        token=workspace.token,
    )
    assert deal_now["deal"] == {
        "customFields": {"entrada": "50000"},
        "version": 1,
        "stage": {"name": "Novo lead"},
    }


async def test_the_lead_intake_checks_custom_fields_and_names_the_field(gql, workspace):
    # given a contact field and an API key for a marketing tool
    await define(gql, workspace.token, key="dependentes", label="Dependentes", type="NUMBER")
    key = (
        await gql.ok(
            CREATE_API_KEY, {"input": {"name": "RD Station", "role": "AGENT"}}, token=workspace.token
        )
    )["createApiKey"]["secret"]
    lead = {"name": "Hugo Alves", "email": "hugo@example.com", "customFields": {"dependentes": "muitos"}}

    # when the tool posts a lead with a bad value, then a good one
    bad = await gql.http.post(
        f"{gql.server.url}/api/leads", json=lead, headers={"authorization": f"Bearer {key}"}
    )
    good = await gql.http.post(
        f"{gql.server.url}/api/leads",
        json={**lead, "customFields": {"dependentes": "1"}},
        headers={"authorization": f"Bearer {key}"},
    )

    # then the bad one is a 422 naming the field, and the good one is stored typed
    assert bad.status_code == 422
    assert [(e["code"], e["field"]) for e in bad.json()["errors"]] == [
        ("INVALID", ["customFields", "dependentes"])
    ]
    assert good.status_code == 201, good.text
    contact_pk = decode_id(good.json()["contactId"])[1]
    assert (await Contact.get(id=contact_pk)).custom_fields == {"dependentes": 1}
    assert await contacts_named("Hugo Alves") == 1


CREATE_FORM = """
mutation CreateForm($input: FormInput!) {
  createForm(input: $input) { form { id endpoint } userErrors { code message field } }
}
"""


async def test_a_public_form_post_is_checked_and_a_bad_value_named_by_its_posted_field(gql, workspace):
    # given typed contact fields and a form that maps posted fields onto them
    await define_contact_fields(gql, workspace.token)
    data = await gql.ok(
        CREATE_FORM,
        {
            "input": {
                "name": "Lançamento Vila Mariana",
                "fieldMapping": {"quartos": "customFields.tipologia", "lazer": "customFields.interesses"},
            }
        },
        token=workspace.token,
    )
    endpoint = gql.server.url + data["createForm"]["form"]["endpoint"]

    # when a visitor posts an option that does not exist, then posts labels as a browser sends them
    bad = await gql.http.post(
        endpoint, json={"name": "Iara", "email": "iara@example.com", "quartos": "5 quartos"}
    )
    good = await gql.http.post(
        endpoint,
        data={
            "name": "Iara",
            "email": "iara@example.com",
            "quartos": "2 quartos",
            "lazer": "Piscina,academia",
        },
        headers={"accept": "text/html"},
    )

    # then the bad post is a 422 naming the posted field, capturing nothing
    assert bad.status_code == 422
    assert [(e["code"], e["field"]) for e in bad.json()["errors"]] == [("INVALID", ["quartos"])]
    # and the good one is stored typed
    assert good.status_code == 200, good.text
    [contact] = await Contact.filter(email="iara@example.com")
    assert contact.custom_fields == {"tipologia": "dois_quartos", "interesses": ["piscina", "academia"]}
