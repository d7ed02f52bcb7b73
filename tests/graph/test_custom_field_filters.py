"""Campos adicionais, filtered: `customField: {key, ...operators}` in
ContactFilter, DealFilter and CompanyFilter, run as SQL on the backend
under test, means what the Python evaluation (stage entry conditions,
automation conditions) says, for every type; bad conditions are INVALID
naming the path."""

from __future__ import annotations

from typing import Any

import pytest

from revgraph.models.crm import Contact, ContactTag
from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.resolvers.automations.subjects import contact_values
from revgraph.resolvers.contact_queries import CONTACT_FIELDS
from revgraph.resolvers.custom_fields.filters import custom_field_spec
from revgraph.resolvers.filtering import matches
from tests.graph.custom_field_support import CONTACT_NAMES, contact_names, define, define_contact_fields
from tests.graph.documents import create_company, create_contact
from tests.pipeline.support import create_deal, create_pipeline

DEALS = """
query Deals($filter: DealFilter) { deals(filter: $filter, first: 100) { edges { node { title } } } }
"""
BOARD = """
query Board($id: ID!, $filter: DealFilter) {
  pipeline(id: $id) { stages { name deals(first: 100, filter: $filter) { edges { node { title } } } } }
}
"""
COMPANIES = """
query Companies($filter: CompanyFilter) { companies(filter: $filter, first: 100) { edges { node { name } } } }
"""

PEOPLE = {
    "Ana": {
        "bairro": "Vila Mariana",
        "dependentes": 2,
        "renda_mensal": "8500.50",
        "nascimento": "1990-03-31",
        "financiamento": True,
        "tipologia": "dois_quartos",
        "interesses": ["piscina", "varanda"],
    },
    "Bruno": {
        "bairro": "Moema",
        "dependentes": 0,
        "renda_mensal": "12000",
        "nascimento": "1985-12-01",
        "financiamento": False,
        "tipologia": "studio",
        "interesses": ["academia"],
    },
    "Carla": {
        "bairro": "vila madalena",
        "dependentes": 3,
        "renda_mensal": "950.75",
        "nascimento": "2001-07-15",
        "tipologia": "tres_quartos",
    },
    "Davi": {},
}
# Written before the fields were defined, in other shapes: no value of
# the field's type, so it matches no comparison (only neq and isNull).
LEGACY = {
    "dependentes": "dois",
    "renda_mensal": 7000,
    "nascimento": "15/08/1992",
    "financiamento": "sim",
    "interesses": "piscina",
    "tipologia": "Cobertura",
}


def on(key: str, **operators: Any) -> dict[str, Any]:
    return {"customField": {"key": key, **operators}}


CASES = [
    (on("bairro", eq="Moema"), ["Bruno"]),
    (on("bairro", neq="Moema"), ["Ana", "Carla", "Davi", "Eva"]),
    (on("bairro", **{"in": ["Moema", "Vila Mariana"]}), ["Ana", "Bruno"]),
    (on("bairro", contains="VILA"), ["Ana", "Carla"]),
    (on("bairro", startsWith="vila"), ["Carla"]),
    (on("bairro", isNull=True), ["Davi", "Eva"]),
    (on("dependentes", eq=2), ["Ana"]),
    (on("dependentes", eq="2"), ["Ana"]),
    (on("dependentes", gt=0), ["Ana", "Carla"]),
    (on("dependentes", gte=0), ["Ana", "Bruno", "Carla"]),
    (on("dependentes", lt=3), ["Ana", "Bruno"]),
    (on("dependentes", gte=1, lte=2), ["Ana"]),
    (on("dependentes", **{"in": [0, 3]}), ["Bruno", "Carla"]),
    (on("dependentes", neq=2), ["Bruno", "Carla", "Davi", "Eva"]),
    (on("dependentes", isNull=True), ["Davi", "Eva"]),
    (on("renda_mensal", gte="8500.5"), ["Ana", "Bruno"]),
    (on("renda_mensal", lt=1000), ["Carla"]),
    (on("renda_mensal", eq="12000.00"), ["Bruno"]),
    (on("renda_mensal", gt="950,75"), ["Ana", "Bruno"]),
    (on("renda_mensal", isNull=False), ["Ana", "Bruno", "Carla"]),
    (on("nascimento", lt="1990-01-01"), ["Bruno"]),
    (on("nascimento", gte="31/03/1990"), ["Ana", "Carla"]),
    (on("nascimento", eq="2001-07-15"), ["Carla"]),
    (on("nascimento", isNull=True), ["Davi", "Eva"]),
    (on("financiamento", eq=True), ["Ana"]),
    (on("financiamento", eq="não"), ["Bruno"]),
    (on("financiamento", neq=True), ["Bruno", "Carla", "Davi", "Eva"]),
    (on("financiamento", isNull=True), ["Carla", "Davi", "Eva"]),
    (on("tipologia", eq="studio"), ["Bruno"]),
    (on("tipologia", eq="2 quartos"), ["Ana"]),
    (on("tipologia", **{"in": ["studio", "tres_quartos"]}), ["Bruno", "Carla"]),
    (on("tipologia", neq="studio"), ["Ana", "Carla", "Davi", "Eva"]),
    (on("interesses", contains="piscina"), ["Ana"]),
    (on("interesses", **{"in": ["academia", "varanda"]}), ["Ana", "Bruno"]),
    (on("interesses", isNull=True), ["Carla", "Davi", "Eva"]),
    ({"not": on("dependentes", eq=2)}, ["Bruno", "Carla", "Davi", "Eva"]),
    ({"not": on("interesses", contains="piscina")}, ["Bruno", "Carla", "Davi", "Eva"]),
    ({"or": [on("bairro", contains="moema"), on("interesses", contains="piscina")]}, ["Ana", "Bruno"]),
    ({"and": [on("renda_mensal", gte=900), on("financiamento", eq=False)]}, ["Bruno"]),
    ({**on("dependentes", gt=0), "name": {"startsWith": "C"}}, ["Carla"]),
]


async def people(gql: Any, token: str) -> None:
    """Eva's fields come first, as free JSON; then the definitions; then the others."""
    await create_contact(gql, token, name="Eva", customFields=LEGACY)
    await define_contact_fields(gql, token)
    for name, fields in PEOPLE.items():
        await create_contact(gql, token, name=name, customFields=fields)


async def in_python(filter: dict[str, Any]) -> list[str]:
    """The names the Python evaluation picks from the stored contacts."""
    definitions = await CustomFieldDefinition.filter(entity="CONTACT")
    fields = {**CONTACT_FIELDS, "custom_field": custom_field_spec(definitions, "CONTACT")}
    found = []
    for contact in await Contact.all():
        tags = await ContactTag.filter(contact_id=contact.id).values_list("name", flat=True)
        if matches(filter, contact_values(contact, list(tags)), fields):
            found.append(contact.name)
    return sorted(found)


async def test_each_type_filters_the_same_in_sql_and_in_python(gql, workspace):
    # given leads with a value of every type, one without any, and one with values of other shapes
    await people(gql, workspace.token)
    wrong = []
    for filter, expected in CASES:
        # when contacts are listed with the condition, and the same condition is evaluated in Python
        listed = await contact_names(gql, workspace.token, filter)
        evaluated = await in_python(filter)
        # then both pick the expected leads
        if listed != expected or evaluated != expected:
            wrong.append((filter, expected, listed, evaluated))
    assert wrong == []


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        (on("nao_existe", eq=1), ["filter", "customField", "key"]),
        (on("Renda Mensal", eq=1), ["filter", "customField", "key"]),
        (on("financiamento", gt=True), ["filter", "customField", "gt"]),
        (on("interesses", eq="piscina"), ["filter", "customField", "eq"]),
        (on("dependentes", eq="dois"), ["filter", "customField", "eq"]),
        (on("nascimento", lt="30/02/2020"), ["filter", "customField", "lt"]),
        (on("tipologia", **{"in": ["studio", "cobertura"]}), ["filter", "customField", "in"]),
        (on("bairro", contains="x" * 257), ["filter", "customField", "contains"]),
        (on("bairro", gt="a"), ["filter", "customField", "gt"]),
        ({"or": [{"name": {"eq": "Ana"}}, on("x")]}, ["filter", "or", "1", "customField", "key"]),
    ],
)
async def test_a_bad_condition_is_invalid_naming_its_path(gql, workspace, condition, field):
    # given the contact fields
    await define_contact_fields(gql, workspace.token)
    # when contacts are listed with a condition that cannot be run
    body = await gql(CONTACT_NAMES, {"filter": condition}, token=workspace.token)
    # then it is a top-level INVALID naming the part at fault
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": field}, body["errors"]


async def test_deals_and_companies_filter_on_their_own_fields(gql, workspace):
    # given deal and company fields and records with values
    await define(gql, workspace.token, entity="DEAL", key="entrada", label="Entrada", type="DECIMAL")
    await define(gql, workspace.token, entity="DEAL", key="chaves", label="Entrega das chaves", type="DATE")
    await define(
        gql,
        workspace.token,
        entity="COMPANY",
        key="segmento",
        label="Segmento",
        type="SELECT",
        options=[
            {"key": "construtora", "label": "Construtora"},
            {"key": "imobiliaria", "label": "Imobiliária"},
        ],
    )
    pipeline = await create_pipeline(gql, workspace.token)
    await create_deal(
        gql, workspace.token, pipeline["id"], title="Apto 12", customFields={"entrada": "30000"}
    )
    await create_deal(
        gql,
        workspace.token,
        pipeline["id"],
        title="Casa 3",
        customFields={"entrada": "95000.00", "chaves": "2027-06-30"},
    )
    await create_deal(gql, workspace.token, pipeline["id"], title="Sala 8")
    await create_company(gql, workspace.token, name="Alfa", customFields={"segmento": "construtora"})
    await create_company(gql, workspace.token, name="Beta", customFields={"segmento": "Imobiliária"})

    # when deals, a board column and companies are filtered on them
    rich = {"customField": {"key": "entrada", "gte": "50000"}}
    deals = await gql.ok(DEALS, {"filter": rich}, token=workspace.token)
    undated = await gql.ok(
        DEALS, {"filter": {"customField": {"key": "chaves", "isNull": True}}}, token=workspace.token
    )
    board = await gql.ok(BOARD, {"id": pipeline["id"], "filter": rich}, token=workspace.token)
    companies = await gql.ok(
        COMPANIES,
        {"filter": {"customField": {"key": "segmento", "eq": "imobiliaria"}}},
        token=workspace.token,
    )

    # then each lists what matches
    assert [e["node"]["title"] for e in deals["deals"]["edges"]] == ["Casa 3"]
    assert sorted(e["node"]["title"] for e in undated["deals"]["edges"]) == ["Apto 12", "Sala 8"]
    column = next(s for s in board["pipeline"]["stages"] if s["name"] == "Novo lead")
    assert [e["node"]["title"] for e in column["deals"]["edges"]] == ["Casa 3"]
    assert [e["node"]["name"] for e in companies["companies"]["edges"]] == ["Beta"]
    # and a contact field is not a deal field
    body = await gql(
        DEALS, {"filter": {"customField": {"key": "segmento", "eq": "x"}}}, token=workspace.token
    )
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": ["filter", "customField", "key"]}


async def test_a_filtered_list_keeps_to_what_the_caller_may_see(gql, workspace):
    # given two agents whose leads both chose a studio
    await define_contact_fields(gql, workspace.token)
    mine, theirs = await workspace.user("AGENT"), await workspace.user("AGENT")
    await create_contact(gql, mine["token"], name="Lia", customFields={"tipologia": "studio"})
    await create_contact(gql, theirs["token"], name="Rui", customFields={"tipologia": "studio"})

    # when each lists studio leads
    condition = on("tipologia", eq="studio")
    # then each sees only their own, and the admin both
    assert await contact_names(gql, mine["token"], condition) == ["Lia"]
    assert await contact_names(gql, theirs["token"], condition) == ["Rui"]
    assert await contact_names(gql, workspace.token, condition) == ["Lia", "Rui"]
