"""Rule configuration: typed inputs validated into userErrors, ADMIN only,
enable/disable/delete, and stage automations listed on their stage."""

from __future__ import annotations

from tests.automations.support import (
    CREATE_RULE,
    DELETE_RULE,
    RULES,
    SET_ENABLED,
    UPDATE_RULE,
    create_rule,
    runs,
    settle,
)
from tests.graph.documents import create_contact
from tests.pipeline.support import create_pipeline

TAG_NEW_LEADS = {
    "trigger": {"kind": "CONTACT_CREATED"},
    "contactConditions": {"source": {"eq": "site"}},
    "actions": [{"addTag": {"tag": "novo"}}],
}
STAGES = "query Stages($id: ID!) { pipeline(id: $id) { stages { name automations { id name } } } }"


async def test_a_rule_reads_back_as_it_was_written(gql, workspace):
    # given a pipeline and a user to notify
    pipeline = await create_pipeline(gql, workspace.token)
    manager = await workspace.user("MANAGER")

    # when an admin writes a rule with every kind of detail
    rule = await create_rule(
        gql,
        workspace.token,
        trigger={"kind": "DEAL_STAGE_CHANGED", "fromStageId": pipeline["stage"]["Novo lead"]},
        dealConditions={"value": {"gte": "1000"}, "not": {"title": {"contains": "teste"}}},
        actions=[
            {
                "createTask": {
                    "title": "Ligar",
                    "dueInMinutes": 30,
                    "assignTo": "USER",
                    "userId": manager["id"],
                }
            },
            {
                "notify": {"to": "MANAGER", "message": "{{deal.title}} saiu de Novo lead"},
                "waitMinutes": 60,
                "exitCondition": {"unlessContacted": True, "unlessMatches": {"tags": ["vip"]}},
            },
            {"setField": {"field": "DEAL_CUSTOM_FIELD", "customFieldKey": "origem", "value": "robô"}},
        ],
    )

    # then it reads back typed, with ids as global ids
    assert rule["enabled"] is True
    assert rule["trigger"]["kind"] == "DEAL_STAGE_CHANGED"
    assert rule["trigger"]["fromStage"]["name"] == "Novo lead" and rule["trigger"]["toStage"] is None
    assert rule["dealConditions"] == {"value": {"gte": "1000"}, "not": {"title": {"contains": "teste"}}}
    task, notify, set_field = rule["actions"]
    assert task["type"] == "CREATE_TASK" and task["createTask"]["user"]["id"] == manager["id"]
    assert notify["waitMinutes"] == 60 and notify["notify"]["to"] == "MANAGER"
    assert notify["exitCondition"] == {"unlessContacted": True, "unlessMatches": {"tags": ["vip"]}}
    assert set_field["setField"] == {
        "field": "DEAL_CUSTOM_FIELD",
        "customFieldKey": "origem",
        "value": "robô",
    }
    # and as a stage automation of the stage it names
    stages = (await gql.ok(STAGES, {"id": pipeline["id"]}, token=workspace.token))["pipeline"]["stages"]
    listed = {s["name"]: [r["id"] for r in s["automations"]] for s in stages}
    assert listed["Novo lead"] == [rule["id"]] and listed["Em contato"] == []


async def test_bad_rules_are_refused_with_the_field_at_fault_and_nothing_saved(
    gql, workspace, other_workspace
):
    pipeline = await create_pipeline(gql, other_workspace.token)
    cases = [
        ({"actions": [{"addTag": {"tag": "a"}, "removeTag": {"tag": "b"}}]}, ["input", "actions", "0"]),
        ({"actions": [{}]}, ["input", "actions", "0"]),
        ({"actions": []}, ["input", "actions"]),
        (
            {"actions": [{"moveDeal": {"stageId": pipeline["stage"]["Proposta"]}}]},
            ["input", "actions", "0", "moveDeal"],
        ),
        (
            {"actions": [{"createTask": {"title": "Oi {{contato.nome}}"}}]},
            ["input", "actions", "0", "createTask", "title"],
        ),
        ({"actions": [{"addTag": {"tag": "a"}, "exitCondition": {"unlessContacted": True}}]}, None),
        (
            {"trigger": {"kind": "DEAL_STAGE_CHANGED", "toStageId": pipeline["stage"]["Proposta"]}},
            ["input", "trigger", "toStageId"],
        ),
        ({"trigger": {"kind": "CONTACT_CREATED", "field": "name"}}, ["input", "trigger", "field"]),
        (
            {"actions": [{"sendEmail": {"to": "ADDRESS", "address": "nope", "subject": "s", "body": "b"}}]},
            ["input", "actions", "0", "sendEmail", "address"],
        ),
    ]
    for change, field in cases:
        data = await gql.ok(
            CREATE_RULE, {"input": {"name": "Regra", **TAG_NEW_LEADS, **change}}, token=workspace.token
        )
        errors = data["createAutomationRule"]["userErrors"]
        assert errors and errors[0]["code"] in ("INVALID", "NOT_FOUND", "REQUIRED_FIELD_MISSING"), change
        if field is not None:
            assert errors[0]["field"] == field, (change, errors)
        else:
            assert errors[0]["field"][:3] == ["input", "actions", "0"], errors
    assert (await gql.ok(RULES, token=workspace.token))["automationRules"] == []


async def test_only_admins_configure_rules_and_read_runs(gql, workspace):
    agent = await workspace.user("AGENT")
    manager = await workspace.user("MANAGER")
    rule = await create_rule(gql, workspace.token, **TAG_NEW_LEADS)
    for user in (agent, manager):
        body = await gql(CREATE_RULE, {"input": {"name": "x", **TAG_NEW_LEADS}}, token=user["token"])
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await gql(SET_ENABLED, {"id": rule["id"], "enabled": False}, token=user["token"])
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await gql("{ automationRuns { totalCount } }", token=user["token"])
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert [
        (r["id"], r["enabled"]) for r in (await gql.ok(RULES, token=workspace.token))["automationRules"]
    ] == [(rule["id"], True)]


async def test_another_workspaces_rule_is_like_a_missing_one(gql, workspace, other_workspace):
    rule = await create_rule(gql, other_workspace.token, **TAG_NEW_LEADS)
    for document, variables in (
        (SET_ENABLED, {"id": rule["id"], "enabled": False}),
        (DELETE_RULE, {"id": rule["id"]}),
        (UPDATE_RULE, {"id": rule["id"], "input": {"name": "x", **TAG_NEW_LEADS}}),
    ):
        data = await gql.ok(document, variables, token=workspace.token)
        [payload] = data.values()
        assert payload["userErrors"][0]["code"] == "NOT_FOUND"
    node = await gql.ok("query($id: ID!) { node(id: $id) { id } }", {"id": rule["id"]}, token=workspace.token)
    assert node["node"] is None
    [theirs] = (await gql.ok(RULES, token=other_workspace.token))["automationRules"]
    assert theirs["enabled"] is True and theirs["name"] == rule["name"]


async def test_disabled_and_deleted_rules_start_no_runs_and_updates_apply(gql, workspace):
    # given a rule tagging site leads, disabled
    rule = await create_rule(gql, workspace.token, **TAG_NEW_LEADS)
    disabled = await gql.ok(SET_ENABLED, {"id": rule["id"], "enabled": False}, token=workspace.token)
    assert disabled["setAutomationRuleEnabled"]["rule"]["enabled"] is False
    await create_contact(gql, workspace.token, name="Sem regra", source="site")
    await settle()
    assert await runs(gql, workspace.token) == []

    # when it is enabled and changed to tag "quente"
    await gql.ok(SET_ENABLED, {"id": rule["id"], "enabled": True}, token=workspace.token)
    changed = {**TAG_NEW_LEADS, "actions": [{"addTag": {"tag": "quente"}}]}
    updated = await gql.ok(
        UPDATE_RULE, {"id": rule["id"], "input": {"name": "Quente", **changed}}, token=workspace.token
    )
    assert updated["updateAutomationRule"]["rule"]["actions"][0]["tag"] == "quente"
    tagged = await create_contact(gql, workspace.token, name="Com regra", source="site")
    other_source = await create_contact(gql, workspace.token, name="Outra origem", source="whatsapp")
    await settle()

    # then only the matching new contact got the new tag
    query = "query($id: ID!) { contact(id: $id) { tags } }"
    assert (await gql.ok(query, {"id": tagged["id"]}, token=workspace.token))["contact"]["tags"] == ["quente"]
    assert (await gql.ok(query, {"id": other_source["id"]}, token=workspace.token))["contact"]["tags"] == []

    # when it is deleted, new contacts start nothing, and its runs stay readable
    deleted = await gql.ok(DELETE_RULE, {"id": rule["id"]}, token=workspace.token)
    assert deleted["deleteAutomationRule"]["deletedId"] == rule["id"]
    await create_contact(gql, workspace.token, name="Depois", source="site")
    await settle()
    assert [r["rule"]["name"] for r in await runs(gql, workspace.token)] == ["Quente"]
    assert (await gql.ok(RULES, token=workspace.token))["automationRules"] == []
