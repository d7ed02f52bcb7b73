"""UserError.rule: each stage-gate refusal names its rule, so a client tells
apart two RULE_VIOLATIONs of one stage (its entry condition and its
scheduled-task rule). The codes stay what they were."""

from __future__ import annotations

from typing import Any

import pytest

from revgraph.resolvers.errors import RULES, DomainError
from tests.imports.support import JOB_FIELDS, csv_bytes, dry_run, mapped, uploaded
from tests.pipeline.support import DEAL_FIELDS, create_deal, create_pipeline

ERRORS = "userErrors { code field rule }"
MOVE = (
    f"mutation($input: MoveDealInput!) {{ moveDeal(input: $input) {{ deal {{ {DEAL_FIELDS} }} {ERRORS} }} }}"
)
CREATE = f"mutation($input: DealInput!) {{ createDeal(input: $input) {{ deal {{ id }} {ERRORS} }} }}"
UPDATE = f"mutation($id: ID!, $input: DealUpdateInput!) {{ updateDeal(id: $id, input: $input) {{ deal {{ id }} {ERRORS} }} }}"
ARCHIVE = f"mutation($id: ID!) {{ archiveStage(id: $id) {{ {ERRORS} }} }}"
TASK = "mutation($input: TaskInput!) { createTask(input: $input) { task { id } userErrors { code } } }"
ROW_ERRORS = f"""
query($id: ID!) {{ importJob(id: $id) {{ {JOB_FIELDS}
  rowErrors(phase: DRY_RUN, first: 10) {{ row problems {{ code field rule }} }} }} }}
"""

STAGES = [
    {"name": "Novo"},
    {
        "name": "Visita",
        "requiresScheduledTask": True,
        "entryCondition": {"value": {"gte": "10000"}},
    },
    {"name": "Proposta", "requiredFields": ["value"]},
    {"name": "Perdido", "kind": "LOST"},
]
ENTRY = ("RULE_VIOLATION", ["input", "stageId"], "stage.entry_condition")
TASK_RULE = ("RULE_VIOLATION", ["input", "stageId"], "stage.requires_scheduled_task")


def _refusals(payload: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(e["code"], e["field"], e["rule"]) for e in payload["userErrors"]]


async def _move(gql: Any, token: str, **input: Any) -> dict[str, Any]:
    return (await gql.ok(MOVE, {"input": input}, token=token))["moveDeal"]


async def test_a_stage_with_both_rules_names_the_rule_of_each_refusal(gql, workspace):
    # given "Visita", which needs both a value of 10,000 and a scheduled task
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    visita = pipeline["stage"]["Visita"]
    small = await create_deal(gql, token, pipeline["id"], title="Pequeno", value="5000")

    # when a deal that meets neither moves there: two refusals, each named
    refused = await _move(gql, token, dealId=small["id"], stageId=visita)
    assert _refusals(refused) == [ENTRY, TASK_RULE]

    # when it has its scheduled task: only the entry condition refuses
    task = await gql.ok(
        TASK,
        {"input": {"title": "Ligar", "dueAt": "2030-01-15T17:30:00Z", "dealId": small["id"]}},
        token=token,
    )
    assert task["createTask"]["userErrors"] == []
    assert _refusals(await _move(gql, token, dealId=small["id"], stageId=visita)) == [ENTRY]

    # and a deal that meets the condition but has no task: only the task rule
    big = await create_deal(gql, token, pipeline["id"], title="Grande", value="20000")
    assert _refusals(await _move(gql, token, dealId=big["id"], stageId=visita)) == [TASK_RULE]

    # and the patched move that meets the condition passes
    passed = await _move(gql, token, dealId=small["id"], stageId=visita, patch={"value": "15000"})
    assert passed["userErrors"] == [] and passed["deal"]["stage"]["name"] == "Visita"

    # createDeal straight into the stage passes the same gates, named the same
    created = await gql.ok(
        CREATE, {"input": {"title": "Direto", "pipelineId": pipeline["id"], "stageId": visita}}, token=token
    )
    assert [e["rule"] for e in created["createDeal"]["userErrors"]] == [
        "stage.entry_condition",
        "stage.requires_scheduled_task",
    ]


async def test_required_fields_lost_reason_and_archive_refusals_name_their_rules(gql, workspace):
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    deal = await create_deal(gql, token, pipeline["id"], title="Casa")
    # moveDeal into a stage that requires a value: REQUIRED_FIELD_MISSING, stage.required_field
    refused = await _move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Proposta"])
    assert _refusals(refused) == [
        ("REQUIRED_FIELD_MISSING", ["input", "patch", "value"], "stage.required_field")
    ]
    moved = await _move(
        gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Proposta"], patch={"value": "1"}
    )
    assert moved["userErrors"] == []
    # updateDeal emptying what the current stage requires: the same rule
    emptied = await gql.ok(UPDATE, {"id": deal["id"], "input": {"value": None}}, token=token)
    assert _refusals(emptied["updateDeal"]) == [
        ("REQUIRED_FIELD_MISSING", ["input", "value"], "stage.required_field")
    ]
    # a LOST stage without a reason
    lost = await _move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Perdido"])
    assert _refusals(lost) == [("REQUIRED_FIELD_MISSING", ["input", "lostReason"], "stage.lost_reason")]
    # archiving a stage that still has deals
    archived = await gql.ok(ARCHIVE, {"id": pipeline["stage"]["Proposta"]}, token=token)
    assert _refusals(archived["archiveStage"]) == [("RULE_VIOLATION", ["moveDealsTo"], "stage.has_deals")]
    # a refusal of no named rule carries none
    unknown = await _move(gql, token, dealId=deal["id"], stageId="U3RhZ2U6OTk5OTk=")
    assert [(e["code"], e["rule"]) for e in unknown["userErrors"]] == [("NOT_FOUND", None)]


async def test_an_imports_row_errors_name_the_gates_rule(gql, workspace):
    # given a deal file whose row goes into "Visita" (no task, too small)
    token = workspace.token
    await create_pipeline(gql, token, STAGES, name="Vendas")
    content = csv_bytes(
        [["Terreno", "Vendas", "Visita", "500"]], header=["Negócio", "Funil", "Etapa", "Valor"]
    )
    job = await uploaded(gql, token, content, entity="DEAL")
    columns = [("Negócio", "title"), ("Funil", "pipeline"), ("Etapa", "stage"), ("Valor", "value")]
    await mapped(gql, token, job["id"], [{"column": c, "field": f} for c, f in columns])
    # when the dry run reads it
    await dry_run(gql, token, job["id"])
    found = (await gql.ok(ROW_ERRORS, {"id": job["id"]}, token=token))["importJob"]
    # then the row's problems keep the code and name each rule
    [row] = found["rowErrors"]
    assert [(p["code"], p["rule"]) for p in row["problems"]] == [
        ("RULE_VIOLATION", "stage.entry_condition"),
        ("RULE_VIOLATION", "stage.requires_scheduled_task"),
    ]


async def test_other_named_rules_carry_their_name_and_keep_their_code(gql, workspace):
    # deactivating yourself
    myself = await gql.ok(
        f"mutation($id: ID!) {{ deactivateUser(id: $id, leadsGoTo: MANAGER) {{ {ERRORS} }} }}",
        {"id": workspace.admin["id"]},
        token=workspace.token,
    )
    assert _refusals(myself["deactivateUser"]) == [("RULE_VIOLATION", ["id"], "user.not_yourself")]


def test_a_rule_name_must_be_one_of_the_listed_ones():
    assert DomainError("RULE_VIOLATION", "x", rule="stage.entry_condition").problems[0].rule in RULES
    with pytest.raises(ValueError, match="unknown rule"):
        DomainError("RULE_VIOLATION", "x", rule="stage.made_up")
