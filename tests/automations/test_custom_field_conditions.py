"""Automations on campos adicionais: conditions in the filter language
name custom fields, `setField` writes one checked like any write (when the
rule is saved and again when it runs)."""

from __future__ import annotations

from tests.automations.support import CREATE_RULE, RULES, create_rule, runs, settle
from tests.graph.custom_field_support import CONTACT_CUSTOM_FIELDS, TIPOLOGIAS, define
from tests.graph.documents import CONTACT, create_contact
from tests.pipeline.support import create_deal, create_pipeline


async def test_a_rule_runs_only_for_leads_whose_custom_fields_meet_its_conditions(gql, workspace):
    # given contact and deal fields, and rules conditioned on them
    await define(gql, workspace.token, key="tipologia", label="Tipologia", type="SELECT", options=TIPOLOGIAS)
    await define(gql, workspace.token, key="financiamento", label="Financiamento", type="BOOLEAN")
    await define(gql, workspace.token, entity="DEAL", key="entrada", label="Entrada", type="DECIMAL")
    await create_rule(
        gql,
        workspace.token,
        name="Marcar 2 quartos com financiamento",
        trigger={"kind": "CONTACT_CREATED"},
        contactConditions={
            "customField": {"key": "tipologia", "eq": "dois_quartos"},
            "not": {"customField": {"key": "financiamento", "eq": False}},
        },
        actions=[{"addTag": {"tag": "2q-financia"}}],
    )
    await create_rule(
        gql,
        workspace.token,
        name="Entrada alta",
        trigger={"kind": "DEAL_CREATED"},
        dealConditions={"customField": {"key": "entrada", "gte": "50000"}},
        actions=[
            {"setField": {"field": "CONTACT_CUSTOM_FIELD", "customFieldKey": "financiamento", "value": "não"}}
        ],
    )
    pipeline = await create_pipeline(gql, workspace.token)

    # when leads with and without the fields arrive, and deals with small and large down payments open
    ana = await create_contact(gql, workspace.token, name="Ana", customFields={"tipologia": "dois_quartos"})
    bia = await create_contact(
        gql, workspace.token, name="Bia", customFields={"tipologia": "dois_quartos", "financiamento": False}
    )
    caio = await create_contact(gql, workspace.token, name="Caio", customFields={"tipologia": "studio"})
    await settle()
    await create_deal(
        gql, workspace.token, pipeline["id"], contactId=caio["id"], customFields={"entrada": "10000"}
    )
    await create_deal(
        gql, workspace.token, pipeline["id"], contactId=ana["id"], customFields={"entrada": "80000"}
    )
    await settle()

    # then only the lead that meets the contact conditions is tagged
    tags = {
        c["name"]: (await gql.ok(CONTACT, {"id": c["id"]}, token=workspace.token))["contact"]["tags"]
        for c in (ana, bia, caio)
    }
    assert tags == {"Ana": ["2q-financia"], "Bia": [], "Caio": []}
    # and only the large down payment's contact had its field set, typed
    fields = {
        c["name"]: (await gql.ok(CONTACT_CUSTOM_FIELDS, {"id": c["id"]}, token=workspace.token))["contact"][
            "customFields"
        ]
        for c in (ana, caio)
    }
    assert fields == {
        "Ana": {"tipologia": "dois_quartos", "financiamento": False},
        "Caio": {"tipologia": "studio"},
    }
    assert {r["status"] for r in await runs(gql, workspace.token)} == {"SUCCEEDED"}


async def test_a_rule_that_could_never_write_its_custom_field_is_refused(gql, workspace):
    # given a typed contact field
    await define(gql, workspace.token, key="dependentes", label="Dependentes", type="NUMBER")
    cases = [
        ({"customFieldKey": "filhos", "value": "2"}, ["input", "actions", "0", "setField", "customFieldKey"]),
        ({"customFieldKey": "dependentes", "value": "dois"}, ["input", "actions", "0", "setField", "value"]),
    ]
    for set_field, field in cases:
        # when a rule would set an undefined field, or a value the field cannot hold
        data = await gql.ok(
            CREATE_RULE,
            {
                "input": {
                    "name": "Regra",
                    "trigger": {"kind": "CONTACT_CREATED"},
                    "actions": [{"setField": {"field": "CONTACT_CUSTOM_FIELD", **set_field}}],
                }
            },
            token=workspace.token,
        )
        # then it is refused on that field
        errors = data["createAutomationRule"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", field)], errors
    # and no rule was saved; a condition on an unknown field is refused too
    condition = await gql.ok(
        CREATE_RULE,
        {
            "input": {
                "name": "Regra",
                "trigger": {"kind": "CONTACT_CREATED"},
                "contactConditions": {"customField": {"key": "filhos", "gt": 1}},
                "actions": [{"addTag": {"tag": "x"}}],
            }
        },
        token=workspace.token,
    )
    assert [(e["code"], e["field"]) for e in condition["createAutomationRule"]["userErrors"]] == [
        ("INVALID", ["input", "contactConditions", "customField", "key"])
    ]
    assert (await gql.ok(RULES, token=workspace.token))["automationRules"] == []
