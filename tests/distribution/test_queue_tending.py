"""A manager tends the people of their teams in queues they do not run (a
workspace queue, another team's): they list those queues, add, re-weight,
cap, pause and remove the people of their teams there, and nothing else —
no one from outside their teams, no renaming, no archiving, no queue with
nobody of their teams."""

from __future__ import annotations

from typing import Any

MEMBERS = "members { weight capacity active viewerCanChange user { id } }"
CREATE = f"""
mutation($input: QueueInput!) {{
  createQueue(input: $input) {{ queue {{ id name {MEMBERS} }} userErrors {{ code message field }} }}
}}
"""
CONCERNING = f"query {{ queues(concerningMe: true) {{ id name viewerRuns {MEMBERS} }} }}"
ALL = f"query {{ queues {{ id name archivedAt {MEMBERS} }} }}"
CANDIDATES = "query { queueCandidates { id } }"
SET_MEMBER = """
mutation($q: ID!, $input: QueueMemberInput!) {
  setQueueMember(queueId: $q, input: $input) { queue { id } userErrors { code message field } }
}
"""
REMOVE_MEMBER = """
mutation($q: ID!, $u: ID!) {
  removeQueueMember(queueId: $q, userId: $u) { queue { id } userErrors { code message field } }
}
"""
UPDATE = """
mutation($id: ID!, $input: QueueUpdateInput!) {
  updateQueue(id: $id, input: $input) { queue { name } userErrors { code message field } }
}
"""
ARCHIVE = "mutation($id: ID!) { archiveQueue(id: $id) { queue { id } userErrors { code message field } } }"


async def _given(gql: Any, workspace: Any) -> dict[str, Any]:
    """Manager M runs team T (a1, a2); `outsider` is in team U. The admin
    made a workspace queue "Plantão" with a1 and the outsider, and a queue
    "Alheia" of team U with the outsider only; M made "Roleta T" with a2."""
    manager = await workspace.user("MANAGER", name="Marta Gestora")
    team_t = await workspace.team("T", manager_id=manager["id"])
    team_u = await workspace.team("U")
    a1 = await workspace.user("AGENT", team_id=team_t["id"], name="Ana Um")
    a2 = await workspace.user("AGENT", team_id=team_t["id"], name="Bia Dois")
    outsider = await workspace.user("AGENT", team_id=team_u["id"], name="Otto Fora")

    async def queue(token: str, name: str, team: str | None, *members: dict[str, Any]) -> str:
        values = {"name": name, "mode": "OFFLINE", "strategy": "WEIGHTED", "teamId": team}
        values["members"] = [{"userId": m["id"]} for m in members]
        payload = (await gql.ok(CREATE, {"input": values}, token=token))["createQueue"]
        assert payload["userErrors"] == [], payload
        return payload["queue"]["id"]

    return {
        "manager": manager,
        "a1": a1,
        "a2": a2,
        "outsider": outsider,
        "plantao": await queue(workspace.token, "Plantão", None, a1, outsider),
        "alheia": await queue(workspace.token, "Alheia", team_u["id"], outsider),
        "roleta_t": await queue(manager["token"], "Roleta T", team_t["id"], a2),
    }


def _errors(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def _queues(gql: Any, token: str) -> dict[str, Any]:
    return {q["name"]: q for q in (await gql.ok(ALL, token=token))["queues"]}


async def test_a_manager_lists_the_queues_that_concern_them_and_what_they_may_change(gql, workspace):
    given = await _given(gql, workspace)
    # when the manager asks for the queues that concern them
    listed = (await gql.ok(CONCERNING, token=given["manager"]["token"]))["queues"]
    # then their team's queue (theirs to run) and the workspace queue with a1
    # (theirs to tend), not the queue with nobody of their teams
    assert [(q["name"], q["viewerRuns"]) for q in listed] == [("Plantão", False), ("Roleta T", True)]
    plantao = listed[0]["members"]
    assert [(m["user"]["id"], m["viewerCanChange"]) for m in plantao] == [
        (given["a1"]["id"], True),
        (given["outsider"]["id"], False),
    ]
    # and they may add the active people of their teams (themselves included)
    candidates = {
        u["id"] for u in (await gql.ok(CANDIDATES, token=given["manager"]["token"]))["queueCandidates"]
    }
    assert candidates == {given["manager"]["id"], given["a1"]["id"], given["a2"]["id"]}
    # while an admin is concerned by every queue and may add anyone
    admin = (await gql.ok(CONCERNING, token=workspace.token))["queues"]
    assert [q["name"] for q in admin] == ["Plantão", "Alheia", "Roleta T"]
    assert all(q["viewerRuns"] and all(m["viewerCanChange"] for m in q["members"]) for q in admin)
    assert len((await gql.ok(CANDIDATES, token=workspace.token))["queueCandidates"]) == 5
    # and an agent by none, even one who is a member
    assert (await gql.ok(CONCERNING, token=given["a1"]["token"]))["queues"] == []
    assert (await gql.ok(CANDIDATES, token=given["a1"]["token"]))["queueCandidates"] == []
    everything = (await gql.ok(ALL, token=given["a1"]["token"]))["queues"]
    assert not any(m["viewerCanChange"] for q in everything for m in q["members"])


async def test_a_manager_sets_and_removes_people_of_their_teams_in_a_queue_they_tend(gql, workspace):
    given = await _given(gql, workspace)
    token, queue = given["manager"]["token"], given["plantao"]
    # when the manager re-weights, caps and pauses a1, adds a2, then removes a2
    changed = (
        await gql.ok(
            SET_MEMBER,
            {"q": queue, "input": {"userId": given["a1"]["id"], "weight": 3, "capacity": 2, "active": False}},
            token=token,
        )
    )["setQueueMember"]
    added = (await gql.ok(SET_MEMBER, {"q": queue, "input": {"userId": given["a2"]["id"]}}, token=token))[
        "setQueueMember"
    ]
    assert _errors(changed) == [] and _errors(added) == []
    members = (await _queues(gql, workspace.token))["Plantão"]["members"]
    assert [(m["user"]["id"], m["weight"], m["capacity"], m["active"]) for m in members] == [
        (given["a1"]["id"], 3, 2, False),
        (given["outsider"]["id"], 1, None, True),
        (given["a2"]["id"], 1, None, True),
    ]
    removed = (await gql.ok(REMOVE_MEMBER, {"q": queue, "u": given["a2"]["id"]}, token=token))[
        "removeQueueMember"
    ]
    assert _errors(removed) == []
    members = (await _queues(gql, workspace.token))["Plantão"]["members"]
    assert [m["user"]["id"] for m in members] == [given["a1"]["id"], given["outsider"]["id"]]


async def test_a_manager_may_not_touch_a_member_outside_their_teams_nor_run_a_queue_they_only_tend(
    gql, workspace
):
    given = await _given(gql, workspace)
    token, queue, outsider = given["manager"]["token"], given["plantao"], given["outsider"]
    before = await _queues(gql, workspace.token)
    # when the manager tries to change, then remove, the outsider of the queue they tend
    changed = (
        await gql.ok(SET_MEMBER, {"q": queue, "input": {"userId": outsider["id"], "weight": 9}}, token=token)
    )["setQueueMember"]
    removed = (await gql.ok(REMOVE_MEMBER, {"q": queue, "u": outsider["id"]}, token=token))[
        "removeQueueMember"
    ]
    # or to rename or archive it
    renamed = (await gql.ok(UPDATE, {"id": queue, "input": {"name": "Meu plantão"}}, token=token))[
        "updateQueue"
    ]
    archived = (await gql.ok(ARCHIVE, {"id": queue}, token=token))["archiveQueue"]
    # or to add someone of their teams to a queue with nobody of their teams
    joined = (
        await gql.ok(SET_MEMBER, {"q": given["alheia"], "input": {"userId": given["a1"]["id"]}}, token=token)
    )["setQueueMember"]
    # then each is refused on its field
    assert _errors(changed) == [("FORBIDDEN", ["input", "userId"])]
    assert _errors(removed) == [("FORBIDDEN", ["userId"])]
    assert _errors(renamed) == [("FORBIDDEN", ["id"])]
    assert _errors(archived) == [("FORBIDDEN", ["id"])]
    assert _errors(joined) == [("FORBIDDEN", ["queueId"])]
    # and nothing changed
    assert await _queues(gql, workspace.token) == before
    # while an agent who is a member is refused outright
    body = await gql(
        SET_MEMBER, {"q": queue, "input": {"userId": given["a1"]["id"]}}, token=given["a1"]["token"]
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


SETTINGS_VIEW = """
query {
  queues(concerningMe: true) {
    id name mode strategy backlog viewerRuns
    members { weight capacity active viewerCanChange user { id name online } }
  }
  queueCandidates { id name }
}
"""


async def test_the_settings_view_of_queues_costs_the_same_sql_for_few_or_many_queues(
    gql, workspace, count_sql
):
    given = await _given(gql, workspace)
    token = given["manager"]["token"]

    async def statements() -> tuple[int, int]:
        with count_sql() as counter:
            listed = (await gql.ok(SETTINGS_VIEW, token=token))["queues"]
        # Resolvers asking for the caller's scope at once share one reading.
        assert len(set(counter.statements)) == len(counter.statements), counter.statements
        return len(listed), len(counter.statements)

    few = await statements()
    # when three more workspace queues with people of the manager's teams appear
    for index in range(3):
        values = {"name": f"Extra {index}", "mode": "OFFLINE", "strategy": "ROUND_ROBIN", "teamId": None}
        values["members"] = [{"userId": given["a1"]["id"]}, {"userId": given["a2"]["id"]}]
        assert (await gql.ok(CREATE, {"input": values}, token=workspace.token))["createQueue"][
            "userErrors"
        ] == []
    many = await statements()
    # then the manager sees them all, for the same number of statements
    assert (few[0], many[0]) == (2, 5)
    assert many[1] == few[1], (few, many)
