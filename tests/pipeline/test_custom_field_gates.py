"""Stage gates on campos adicionais: an entry condition on a deal's custom
field is checked on every move (with the move's patch), and a condition
naming a field deals do not have is refused when the stage is set up."""

from __future__ import annotations

from tests.graph.custom_field_support import define
from tests.pipeline.support import CREATE_PIPELINE, DEAL, create_deal, create_pipeline, move

UPDATE_STAGE = """
mutation UpdateStage($id: ID!, $input: StageUpdateInput!) {
  updateStage(id: $id, input: $input) { stage { id entryCondition } userErrors { code message field } }
}
"""
FINANCING = [
    {"key": "aprovado", "label": "Aprovado"},
    {"key": "em_analise", "label": "Em análise"},
    {"key": "negado", "label": "Negado"},
]
# "Proposta" only for deals whose financing is approved and whose down
# payment is at least 20 thousand reais.
READY = {
    "and": [
        {"customField": {"key": "credito", "eq": "aprovado"}},
        {"customField": {"key": "entrada", "gte": "20000"}},
    ]
}


async def test_an_entry_condition_on_custom_fields_is_enforced_on_each_move(gql, workspace):
    # given deal fields for the financing answer and the down payment, and a stage that requires both
    await define(
        gql, workspace.token, entity="DEAL", key="credito", label="Crédito", type="SELECT", options=FINANCING
    )
    await define(gql, workspace.token, entity="DEAL", key="entrada", label="Entrada", type="DECIMAL")
    stages = [{"name": "Qualificação"}, {"name": "Proposta", "entryCondition": READY}]
    pipeline = await create_pipeline(gql, workspace.token, stages)
    assert pipeline["stages"][1]["entryCondition"] == READY
    proposta = pipeline["stage"]["Proposta"]
    deal = await create_deal(
        gql, workspace.token, pipeline["id"], customFields={"credito": "em_analise", "entrada": "25000"}
    )

    # when the deal moves there while its financing is still being analysed
    refused = await move(gql, workspace.token, dealId=deal["id"], stageId=proposta)
    # then the move is refused by the stage's rule, and the deal stays
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("RULE_VIOLATION", ["input", "stageId"])
    ]
    stayed = (await gql.ok(DEAL, {"id": deal["id"]}, token=workspace.token))["deal"]
    assert stayed["stage"]["name"] == "Qualificação" and stayed["version"] == 1

    # when the move's patch approves it but with a small down payment
    small = await move(
        gql,
        workspace.token,
        dealId=deal["id"],
        stageId=proposta,
        patch={"customFields": {"credito": "Aprovado", "entrada": "15000"}},
    )
    # then it is still refused
    assert [e["code"] for e in small["userErrors"]] == ["RULE_VIOLATION"]

    # when the patch meets both
    passed = await move(
        gql,
        workspace.token,
        dealId=deal["id"],
        stageId=proposta,
        patch={"customFields": {"credito": "Aprovado", "entrada": "20000,00"}},
    )
    # then the deal enters, with its fields stored normalised
    assert passed["userErrors"] == []
    assert passed["deal"]["stage"]["name"] == "Proposta"
    assert passed["deal"]["customFields"] == {"credito": "aprovado", "entrada": "20000.00"}


async def test_an_entry_condition_naming_an_unknown_field_is_refused_at_setup(gql, workspace):
    # given a contact field (not a deal one) and a pipeline
    await define(gql, workspace.token, key="renda", label="Renda", type="DECIMAL")
    pipeline = await create_pipeline(gql, workspace.token, [{"name": "Novo"}, {"name": "Proposta"}])

    # when a stage's entry condition names it, at creation and on update
    condition = {"customField": {"key": "renda", "gte": "5000"}}
    created = await gql.ok(
        CREATE_PIPELINE,
        {"input": {"name": "Outro", "stages": [{"name": "A", "entryCondition": condition}]}},
        token=workspace.token,
    )
    updated = await gql.ok(
        UPDATE_STAGE,
        {"id": pipeline["stage"]["Proposta"], "input": {"entryCondition": condition}},
        token=workspace.token,
    )

    # then both are refused naming the key, and nothing was saved
    assert [(e["code"], e["field"]) for e in created["createPipeline"]["userErrors"]] == [
        ("INVALID", ["input", "stages", "0", "entryCondition", "customField", "key"])
    ]
    assert [(e["code"], e["field"]) for e in updated["updateStage"]["userErrors"]] == [
        ("INVALID", ["input", "entryCondition", "customField", "key"])
    ]
    pipelines = (await gql.ok("{ pipelines { name stages { entryCondition } } }", token=workspace.token))[
        "pipelines"
    ]
    assert [p["name"] for p in pipelines] == ["Pré-vendas"]
    assert [s["entryCondition"] for s in pipelines[0]["stages"]] == [None, None]
