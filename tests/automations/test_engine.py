"""The engine end to end: from a committed event to runs and actions, once
per (rule, event), retried to FAILED and retried by hand, and protected
from loops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from revgraph.models.automation import AutomationRule
from tests.automations.support import (
    RETRY_RUN,
    TASK,
    create_rule,
    deal_timeline,
    pk,
    runs,
    settle,
)
from tests.graph.documents import UPDATE_CONTACT, create_contact
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline, move

CONTACT_TAGS = "query($id: ID!) { contact(id: $id) { tags } }"


def call_task_rule(to_stage_id: str, **extra: object) -> dict[str, object]:
    return {
        "trigger": {"kind": "DEAL_STAGE_CHANGED", "toStageId": to_stage_id},
        "actions": [
            {"createTask": {"title": "Ligar para {{contact.name}}", "dueInMinutes": 60, "assignTo": "OWNER"}}
        ],
        **extra,
    }


async def test_a_stage_rule_creates_a_task_for_the_owner_on_the_deal_timeline(gql, workspace):
    # given a rule "on entering Em contato, create a call task due in 1 hour for the owner"
    agent = await workspace.user("AGENT")
    pipeline = await create_pipeline(gql, workspace.token)
    rule = await create_rule(gql, workspace.token, **call_task_rule(pipeline["stage"]["Em contato"]))
    contact = await create_contact(gql, agent["token"], name="Ana Lima", email="ana@example.com")
    deal = await create_deal(gql, agent["token"], pipeline["id"], contactId=contact["id"])

    # when the agent moves the deal into the stage
    before = datetime.now(UTC)
    moved = await move(gql, agent["token"], dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
    assert moved["userErrors"] == []
    await settle()

    # then one run succeeded and the task exists, due in an hour, for the owner
    [run] = await runs(gql, workspace.token)
    assert run["status"] == "SUCCEEDED" and run["stepsDone"] == 1 and run["attempts"] == 0
    assert run["rule"]["id"] == rule["id"] and run["deal"]["id"] == deal["id"]
    timeline = await deal_timeline(gql, agent["token"], deal["id"])
    created = [e for e in timeline if e["kind"] == "task.created"]
    assert len(created) == 1
    assert created[0]["actor"] is None and "Ligar para lead novo" in created[0]["summary"]
    task = (await gql.ok(TASK, {"id": created[0]["data"]["taskId"]}, token=agent["token"]))["node"]
    assert task["title"] == "Ligar para Ana Lima"
    assert task["assignee"]["id"] == agent["id"]
    due = datetime.fromisoformat(task["dueAt"])
    assert before + timedelta(minutes=59) < due < datetime.now(UTC) + timedelta(minutes=61)
    # and the run and its action are on the timeline with the rule as actor
    audit = {e["kind"]: e for e in timeline if e["kind"].startswith("automation.")}
    assert set(audit) == {"automation.run_started", "automation.action"}
    assert audit["automation.action"]["actor"] is None
    assert {e["actorLabel"] for e in audit.values()} | {created[0]["actorLabel"]} == {
        "Automação 'Ligar para lead novo'"
    }
    # the move itself is the agent's
    [stage_changed] = [e for e in timeline if e["kind"] == "deal.stage_changed"]
    assert stage_changed["actor"]["id"] == agent["id"] and stage_changed["actorLabel"] == agent["name"]
    assert (
        audit["automation.action"]["summary"]
        == "Automação 'Ligar para lead novo': criou a tarefa Ligar para Ana Lima"
    )


async def test_conditions_leave_out_subjects_that_do_not_match(gql, workspace):
    # given a rule for deals worth at least 1000 only
    pipeline = await create_pipeline(gql, workspace.token)
    await create_rule(
        gql,
        workspace.token,
        **call_task_rule(pipeline["stage"]["Em contato"], dealConditions={"value": {"gte": "1000"}}),
    )
    small = await create_deal(gql, workspace.token, pipeline["id"], title="Pequeno", value="500.00")
    large = await create_deal(gql, workspace.token, pipeline["id"], title="Grande", value="5000.00")

    # when both enter the stage
    for deal in (small, large):
        assert (await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"]))[
            "userErrors"
        ] == []
    await settle()

    # then only the large one ran
    assert [r["deal"]["id"] for r in await runs(gql, workspace.token)] == [large["id"]]
    assert not [
        e for e in await deal_timeline(gql, workspace.token, small["id"]) if e["kind"] == "task.created"
    ]


async def test_an_event_delivered_twice_runs_once(gql, workspace):
    # given a rule that ran for a move
    from revgraph.tasks.automations import evaluate

    pipeline = await create_pipeline(gql, workspace.token)
    await create_rule(gql, workspace.token, **call_task_rule(pipeline["stage"]["Em contato"]))
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
    await settle()
    [moved] = [
        e for e in await deal_timeline(gql, workspace.token, deal["id"]) if e["kind"] == "deal.stage_changed"
    ]

    # when the broker delivers the event twice more
    evaluate.send(pk(moved["id"]))
    evaluate.send(pk(moved["id"]))
    await settle()

    # then there is still one run and one task
    assert len(await runs(gql, workspace.token)) == 1
    timeline = await deal_timeline(gql, workspace.token, deal["id"])
    assert len([e for e in timeline if e["kind"] == "task.created"]) == 1


async def test_a_refused_action_is_retried_then_failed_visibly_and_retried_by_hand(gql, workspace):
    # given a rule that moves deals to Proposta, whose gate requires value and expected close date
    pipeline = await create_pipeline(gql, workspace.token)
    rule = await create_rule(
        gql,
        workspace.token,
        name="Avançar para proposta",
        trigger={"kind": "DEAL_STAGE_CHANGED", "toStageId": pipeline["stage"]["Em contato"]},
        actions=[{"moveDeal": {"stageId": pipeline["stage"]["Proposta"]}}],
    )
    deal = await create_deal(gql, workspace.token, pipeline["id"])

    # when a deal without them enters Em contato
    await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
    await settle()

    # then the run failed after its 5 attempts, with the gate's reason, and the deal did not move
    [run] = await runs(gql, workspace.token, status="FAILED")
    assert run["attempts"] == 5 and run["rule"]["id"] == rule["id"]
    assert "exige valor" in run["error"] and run["finishedAt"] is not None
    timeline = await deal_timeline(gql, workspace.token, deal["id"])
    assert timeline[0]["kind"] == "automation.failed" and "exige valor" in timeline[0]["summary"]
    assert [e["kind"] for e in timeline].count("deal.stage_changed") == 1

    # when the deal is fixed and an admin retries the run
    fixed = await gql.ok(
        UPDATE_DEAL,
        {"id": deal["id"], "input": {"value": "250000.00", "expectedCloseDate": "2030-01-31T00:00:00+00:00"}},
        token=workspace.token,
    )
    assert fixed["updateDeal"]["userErrors"] == []
    retried = (await gql.ok(RETRY_RUN, {"id": run["id"]}, token=workspace.token))["retryAutomationRun"]
    assert retried["userErrors"] == [] and retried["run"]["status"] == "PENDING"
    await settle()

    # then it succeeds and the deal is in Proposta
    [run] = await runs(gql, workspace.token)
    assert run["status"] == "SUCCEEDED"
    timeline = await deal_timeline(gql, workspace.token, deal["id"])
    assert (
        timeline[0]["kind"] == "automation.action"
        and "moveu o negócio para Proposta" in timeline[0]["summary"]
    )
    # and a succeeded run cannot be retried
    again = (await gql.ok(RETRY_RUN, {"id": run["id"]}, token=workspace.token))["retryAutomationRun"]
    assert again["userErrors"][0]["code"] == "RULE_VIOLATION"


async def test_a_rule_does_not_retrigger_on_its_own_changes(gql, workspace):
    # given a rule that tags a contact whenever the contact changes
    rule = await create_rule(
        gql,
        workspace.token,
        name="Marcar alterado",
        trigger={"kind": "CONTACT_UPDATED"},
        actions=[{"addTag": {"tag": "alterado"}}],
    )
    contact = await create_contact(gql, workspace.token, name="Bruno")

    # when a user changes the contact (and the rule's tag changes it again)
    changed = await gql.ok(
        UPDATE_CONTACT, {"id": contact["id"], "input": {"name": "Bruno Alves"}}, token=workspace.token
    )
    assert changed["updateContact"]["userErrors"] == []
    await settle()

    # then the rule ran once: its own contact.updated did not start it again
    assert [(r["rule"]["id"], r["status"]) for r in await runs(gql, workspace.token)] == [
        (rule["id"], "SUCCEEDED")
    ]


async def test_a_chain_of_rules_stops_at_the_depth_limit_with_its_reason(gql, workspace):
    # given two rules that move a deal back and forth between two stages
    pipeline = await create_pipeline(gql, workspace.token)
    contato, novo = pipeline["stage"]["Em contato"], pipeline["stage"]["Novo lead"]
    await create_rule(
        gql,
        workspace.token,
        name="Ida",
        trigger={"kind": "DEAL_STAGE_CHANGED", "toStageId": contato},
        actions=[{"moveDeal": {"stageId": novo}}],
    )
    await create_rule(
        gql,
        workspace.token,
        name="Volta",
        trigger={"kind": "DEAL_STAGE_CHANGED", "toStageId": novo},
        actions=[{"moveDeal": {"stageId": contato}}],
    )
    deal = await create_deal(gql, workspace.token, pipeline["id"])

    # when a user starts the ping-pong
    await move(gql, workspace.token, dealId=deal["id"], stageId=contato)
    await settle()

    # then five runs moved it and the sixth was skipped, saying why
    found = sorted(await runs(gql, workspace.token), key=lambda r: r["depth"])
    assert [(r["depth"], r["status"]) for r in found] == [
        (1, "SUCCEEDED"),
        (2, "SUCCEEDED"),
        (3, "SUCCEEDED"),
        (4, "SUCCEEDED"),
        (5, "SUCCEEDED"),
        (6, "SKIPPED"),
    ]
    assert "limite de encadeamento" in found[-1]["reason"]
    timeline = await deal_timeline(gql, workspace.token, deal["id"])
    assert timeline[0]["kind"] == "automation.skipped"


async def test_a_rule_whose_conditions_cannot_be_read_is_skipped_and_the_later_rules_still_run(
    gql, workspace
):
    # given two rules on new contacts, the first with stored conditions the
    # filter language cannot read (a rule saved by an older version, say)
    broken = await create_rule(
        gql,
        workspace.token,
        name="Condições ilegíveis",
        trigger={"kind": "CONTACT_CREATED"},
        contactConditions={"email": {"contains": "@"}},
        actions=[{"addTag": {"tag": "nunca"}}],
    )
    await AutomationRule.filter(id=pk(broken["id"])).update(contact_conditions={"email": "sem operadores"})
    later = await create_rule(
        gql,
        workspace.token,
        name="Marcar novo lead",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[{"addTag": {"tag": "novo-lead"}}],
    )

    # when a contact is created
    contact = await create_contact(gql, workspace.token, name="Bruna", email="bruna@example.com")
    await settle()

    # then the later rule ran, and the unreadable one was skipped saying why
    by_rule = {r["rule"]["id"]: r for r in await runs(gql, workspace.token)}
    assert by_rule[later["id"]]["status"] == "SUCCEEDED"
    assert by_rule[broken["id"]]["status"] == "SKIPPED"
    assert "condições não podem ser avaliadas" in by_rule[broken["id"]]["reason"]
    tags = (await gql.ok(CONTACT_TAGS, {"id": contact["id"]}, token=workspace.token))["contact"]["tags"]
    assert tags == ["novo-lead"]


async def test_an_event_whose_evaluation_was_lost_is_evaluated_again_once(gql, workspace):
    # given a rule that tags new contacts, and a contact it tagged
    from revgraph.models.automation import AutomationEvaluation, AutomationRun
    from revgraph.models.events import Event
    from revgraph.resolvers.automations import engine

    await create_rule(
        gql,
        workspace.token,
        name="Marcar novos",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[{"addTag": {"tag": "novo"}}],
    )
    await create_contact(gql, workspace.token, name="Perdida")
    await settle()
    [run] = await runs(gql, workspace.token)
    assert run["status"] == "SUCCEEDED"
    event = await Event.get(kind="contact.created")
    assert await AutomationEvaluation.filter(event_id=event.id).exists()
    # when its evaluate message is lost as a Redis restarted without
    # persistence loses it (no evaluation, no run; the rule and event older)
    await AutomationRun.all().delete()
    await AutomationEvaluation.filter(event_id=event.id).delete()
    past = datetime.now(UTC) - timedelta(minutes=5)
    await AutomationRule.all().update(created_at=past - timedelta(minutes=1))
    await Event.filter(id=event.id).update(at=past)
    # then the due-time scan finds it, and evaluating it (twice) makes one run
    assert await engine.unevaluated_events() == [event.id]
    assert await engine.evaluate_event(event.id) == 1
    assert await engine.evaluate_event(event.id) == 0
    assert await engine.unevaluated_events() == []
    assert await AutomationRun.filter(event_id=event.id).count() == 1
