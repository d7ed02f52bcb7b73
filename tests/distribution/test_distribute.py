import asyncio
from collections import Counter

from tests.distribution.support import (
    CREATE_QUEUE,
    SET_AVAILABILITY,
    backlog,
    contact,
    create_queue,
    distribute,
    eventually,
)
from tests.live import connect, subscribe

DISQUALIFY = "mutation($id: ID!, $r: String!) { disqualifyLead(contactId: $id, reason: $r) { contact { lifecycleStage } userErrors { code field } } }"
REASSIGN = "mutation($u: ID!, $c: ID) { reassign(userId: $u, contactId: $c) { assignment { user { id } } userErrors { code field } } }"
OWNER = "query($id: ID!) { contact(id: $id) { owner { id } } }"


async def agents(workspace, n, **kwargs):
    return [await workspace.user("AGENT", **kwargs) for _ in range(n)]


async def test_admin_creates_queue_and_agent_may_not(gql, workspace):
    team = await agents(workspace, 2)
    queue = await create_queue(gql, workspace.token, [{"userId": a["id"]} for a in team], strategy="WEIGHTED")
    assert [m["user"]["id"] for m in queue["members"]] == [a["id"] for a in team]
    assert queue["members"][0] == {
        "user": {"id": team[0]["id"]},
        "weight": 1,
        "capacity": None,
        "active": True,
    }
    body = await gql(
        CREATE_QUEUE,
        {"input": {"name": "X", "mode": "ONLINE", "strategy": "ROUND_ROBIN", "members": []}},
        token=team[0]["token"],
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_round_robin_cycles_and_explains(gql, workspace):
    team = await agents(workspace, 3)
    queue = await create_queue(gql, workspace.token, [{"userId": a["id"]} for a in team])
    owners = []
    for index in range(6):
        result = await distribute(
            gql, workspace.token, queue["id"], contact_id=await contact(gql, workspace.token)
        )
        assert result["userErrors"] == []
        assignment = result["assignment"]
        assert assignment["status"] == "ASSIGNED"
        assert assignment["contact"]["owner"]["id"] == assignment["user"]["id"]
        owners.append(assignment["user"]["id"])
        if index == 0:
            assert assignment["reason"].startswith("ROUND_ROBIN: nenhuma atribuição anterior; a vez é de")
    assert owners == [a["id"] for a in team] * 2


async def test_weighted_shares_are_exact_per_cycle(gql, workspace):
    team = await agents(workspace, 3)
    weights = [3, 2, 1]
    queue = await create_queue(
        gql,
        workspace.token,
        [{"userId": a["id"], "weight": w} for a, w in zip(team, weights, strict=True)],
        strategy="WEIGHTED",
    )
    owners = []
    for _ in range(12):
        result = await distribute(
            gql, workspace.token, queue["id"], contact_id=await contact(gql, workspace.token)
        )
        owners.append(result["assignment"]["user"]["id"])
    counts = Counter(owners)
    assert [counts[a["id"]] for a in team] == [6, 4, 2]


async def test_concurrent_distributions_give_the_sequential_shares(gql, workspace):
    team = await agents(workspace, 4)
    queue = await create_queue(gql, workspace.token, [{"userId": a["id"]} for a in team])
    contacts = [await contact(gql, workspace.token) for _ in range(40)]
    results = await asyncio.gather(
        *(distribute(gql, workspace.token, queue["id"], contact_id=c) for c in contacts)
    )
    counts = Counter(r["assignment"]["user"]["id"] for r in results)
    assert sorted(counts.values()) == [10, 10, 10, 10]
    assert len({r["assignment"]["contact"]["id"] for r in results}) == 40


async def test_online_queue_waits_then_drains_when_an_agent_comes_online(gql, workspace):
    (agent,) = await agents(workspace, 1)
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}], mode="ONLINE")
    lead = await contact(gql, workspace.token)
    result = await distribute(gql, workspace.token, queue["id"], contact_id=lead)
    assert result["assignment"]["status"] == "QUEUED" and result["assignment"]["user"] is None
    assert "offline" in result["assignment"]["reason"]
    assert await backlog(gql, workspace.token, queue["id"]) == 1
    # when the agent comes online, the backlog drains by itself
    await gql.ok(SET_AVAILABILITY, {"online": True}, token=agent["token"])

    async def owned():
        data = await gql.ok(OWNER, {"id": lead}, token=workspace.token)
        return data["contact"]["owner"] and data["contact"]["owner"]["id"] == agent["id"]

    await eventually(owned)
    assert await backlog(gql, workspace.token, queue["id"]) == 0


async def test_capacity_skips_full_agents_and_freed_capacity_drains(gql, workspace):
    (agent,) = await agents(workspace, 1)
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"], "capacity": 1}])
    first, second = await contact(gql, workspace.token), await contact(gql, workspace.token)
    assert (await distribute(gql, workspace.token, queue["id"], contact_id=first))["assignment"][
        "status"
    ] == "ASSIGNED"
    waiting = (await distribute(gql, workspace.token, queue["id"], contact_id=second))["assignment"]
    assert waiting["status"] == "QUEUED" and "no limite 1/1" in waiting["reason"]
    # disqualifying needs a reason
    refused = await gql.ok(DISQUALIFY, {"id": first, "r": " "}, token=agent["token"])
    assert refused["disqualifyLead"]["userErrors"] == [{"code": "INVALID", "field": ["reason"]}]
    done = await gql.ok(DISQUALIFY, {"id": first, "r": "Sem interesse"}, token=agent["token"])
    assert done["disqualifyLead"]["contact"]["lifecycleStage"] == "DISQUALIFIED"

    async def drained():
        return await backlog(gql, workspace.token, queue["id"]) == 0

    await eventually(drained)
    assert (await gql.ok(OWNER, {"id": second}, token=workspace.token))["contact"]["owner"]["id"] == agent[
        "id"
    ]


async def test_distribute_of_invisible_contact_is_not_found(gql, workspace, other_workspace):
    (agent,) = await agents(workspace, 1)
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    theirs = await contact(gql, other_workspace.token)
    result = await distribute(gql, workspace.token, queue["id"], contact_id=theirs)
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("NOT_FOUND", ["input", "contactId"])]
    assert await backlog(gql, workspace.token, queue["id"]) == 0


async def test_reassign_rules_for_agents_and_managers(gql, workspace):
    team = await workspace.team("Equipe A")
    manager = await workspace.user("MANAGER", team_id=team["id"])
    a1, a2 = await agents(workspace, 2, team_id=team["id"])
    (outsider,) = await agents(workspace, 1)
    queue = await create_queue(gql, workspace.token, [{"userId": a1["id"]}])
    lead = await contact(gql, workspace.token)
    await distribute(gql, workspace.token, queue["id"], contact_id=lead)
    # an agent may not hand their lead to a colleague
    refused = await gql.ok(REASSIGN, {"u": a2["id"], "c": lead}, token=a1["token"])
    assert refused["reassign"]["userErrors"] == [{"code": "FORBIDDEN", "field": ["userId"]}]
    # a manager reassigns within the team, but not to someone outside it
    outside = await gql.ok(REASSIGN, {"u": outsider["id"], "c": lead}, token=manager["token"])
    assert outside["reassign"]["userErrors"] == [{"code": "NOT_FOUND", "field": ["userId"]}]
    moved = await gql.ok(REASSIGN, {"u": a2["id"], "c": lead}, token=manager["token"])
    assert moved["reassign"]["assignment"]["user"]["id"] == a2["id"]
    # the lead is now invisible to a1 (NOT_FOUND), and owned by a2
    again = await gql.ok(REASSIGN, {"u": a1["id"], "c": lead}, token=a1["token"])
    assert again["reassign"]["userErrors"] == [{"code": "NOT_FOUND", "field": ["contactId"]}]
    assert (await gql.ok(OWNER, {"id": lead}, token=workspace.token))["contact"]["owner"]["id"] == a2["id"]


async def test_assignments_subscription_notifies_the_agent(gql, server, workspace):
    a1, a2 = await agents(workspace, 2)
    queue = await create_queue(gql, workspace.token, [{"userId": a1["id"]}, {"userId": a2["id"]}])
    query = "subscription { assignments { id status user { id } contact { id } } }"
    async with connect(server.ws_url, a2["token"]) as socket:
        stream = await subscribe(socket, query, {})
        await asyncio.sleep(0.2)  # let the subscription start listening
        first = await contact(gql, workspace.token)
        second = await contact(gql, workspace.token)
        await distribute(gql, workspace.token, queue["id"], contact_id=first)  # goes to a1: not for a2
        await distribute(gql, workspace.token, queue["id"], contact_id=second)  # goes to a2
        received = (await stream.next())["data"]["assignments"]
        assert (received["user"]["id"], received["contact"]["id"]) == (a2["id"], second)


async def test_updating_lifecycle_to_disqualified_needs_the_reasoned_mutation(gql, workspace):
    lead = await contact(gql, workspace.token)
    update = "mutation($id: ID!) { updateContact(id: $id, input: {lifecycleStage: DISQUALIFIED}) { contact { id } userErrors { code field } } }"
    body = await gql.ok(update, {"id": lead}, token=workspace.token)
    assert body["updateContact"]["userErrors"] == [
        {"code": "RULE_VIOLATION", "field": ["input", "lifecycleStage"]}
    ]
    stage = await gql.ok(
        "query($id: ID!) { contact(id: $id) { lifecycleStage } }", {"id": lead}, token=workspace.token
    )
    assert stage["contact"]["lifecycleStage"] == "LEAD"


async def test_trashing_a_lead_frees_capacity_and_the_backlog_drains(gql, workspace):
    (agent,) = await agents(workspace, 1)
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"], "capacity": 1}])
    first, second = await contact(gql, workspace.token), await contact(gql, workspace.token)
    await distribute(gql, workspace.token, queue["id"], contact_id=first)
    assert (await distribute(gql, workspace.token, queue["id"], contact_id=second))["assignment"][
        "status"
    ] == "QUEUED"
    await gql.ok(
        "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }", {"id": first}, token=workspace.token
    )

    async def drained():
        return await backlog(gql, workspace.token, queue["id"]) == 0

    await eventually(drained)


async def test_idle_agents_go_offline_after_the_presence_timeout(gql, workspace):
    from datetime import UTC, datetime, timedelta

    from revgraph.models.identity import User as UserRow
    from revgraph.resolvers.distribution.presence import expire_idle_agents
    from revgraph.resolvers.ids import pk_of
    from revgraph.resolvers.settings import Settings

    active, idle = await agents(workspace, 2)
    for agent in (active, idle):
        await gql.ok(SET_AVAILABILITY, {"online": True}, token=agent["token"])
    # the idle one has not been heard from for 16 minutes
    await UserRow.filter(id=pk_of(idle["id"], "User")).update(
        last_seen_at=datetime.now(UTC) - timedelta(minutes=16)
    )
    assert await expire_idle_agents(Settings.from_env()) == 1
    me = "query { me { online } }"
    assert (await gql.ok(me, token=active["token"]))["me"]["online"] is True
    # (asking as the idle agent refreshes last_seen, but `online` stays false until they say so again)
    assert (await gql.ok(me, token=idle["token"]))["me"]["online"] is False
