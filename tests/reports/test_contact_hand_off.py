"""contact_hand_off (migration 0035): the contacts a live deal hands to an
owner who does not own them, kept by triggers on `deal` and `contact`, read
by visibility.contact_q for every contact list and leadReport. The rows
held are compared with a recomputation from the deals and contacts after
every kind of change; each caller's leadReport(by: OWNER) and contacts'
totalCount with the visibility rule itself (owned in scope, or named by a
live deal owned in scope) computed here from the tables."""

import asyncio
import importlib
import os
import random
from collections import Counter
from types import SimpleNamespace

import pytest
from tortoise import connections

from revgraph.models.crm import Contact
from revgraph.models.pipeline import ContactHandOff, Deal
from revgraph.resolvers.ids import encode_id, pk_of
from tests.conftest import REAL_DB
from tests.graph.documents import MERGE_CONTACTS, UPDATE_CONTACT, create_contact
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline
from tests.reports.test_funnel import DELETE_DEAL, STAGES
from tests.reports.test_lead_report import CONTACTS, around_now, lead_report

RESTORE_DEAL = "mutation($id: ID!) { restoreDeal(id: $id) { userErrors { code } } }"
HAND_OFF = importlib.import_module("revgraph.models.migrations.0035_contact_hand_off")


async def expected_hand_offs(workspace_id: int) -> list[tuple[int, int]]:
    """(contact, deal owner) of every live deal whose owner is not its contact's."""
    owner_of = dict(await Contact.filter(workspace_id=workspace_id).values_list("id", "owner_id"))
    deals = await Deal.filter(
        workspace_id=workspace_id, deleted_at__isnull=True, contact_id__isnull=False, owner_id__isnull=False
    ).values_list("contact_id", "owner_id")
    return sorted({(contact, owner) for contact, owner in deals if owner_of[contact] != owner})


async def held_hand_offs(workspace_id: int) -> list[tuple[int, int]]:
    return sorted(
        await ContactHandOff.filter(workspace_id=workspace_id).values_list("contact_id", "owner_id")
    )


async def expected_leads(workspace_id: int, owners: set[int] | None) -> Counter:
    """The live contacts `owners` (None: all) see, by owner: owned by one
    of them, or named by a live deal one of them owns."""
    handed = set(
        await Deal.filter(workspace_id=workspace_id, deleted_at__isnull=True).values_list(
            "contact_id", "owner_id"
        )
    )
    counts: Counter = Counter()
    for contact_id, owner_id in await Contact.filter(
        workspace_id=workspace_id, deleted_at__isnull=True
    ).values_list("id", "owner_id"):
        if owners is None or owner_id in owners or any((contact_id, o) in handed for o in owners):
            counts[owner_id] += 1
    return counts


async def a_team_with_hand_offs(gql, workspace):
    """A manager over an agent, an agent outside the team, a pipeline, and
    contacts owned by each of them, the admin and no one."""
    token = workspace.token
    manager = await workspace.user("MANAGER", name="Marta")
    team = await workspace.team("Equipe SP", manager_id=manager["id"])
    inside = await workspace.user("AGENT", team_id=team["id"], name="Bruno")
    outside = await workspace.user("AGENT", name="Carla")
    people = [manager, inside, outside, workspace.admin]
    pipeline = await create_pipeline(gql, token, STAGES)
    contacts = []
    for owner in [*people, None, *people]:
        made = await create_contact(gql, token, **({"ownerId": owner["id"]} if owner else {}))
        contacts.append(made["id"])
    workspace_id = pk_of((await gql.ok("{ workspace { id } }", token=token))["workspace"]["id"], "Workspace")
    return SimpleNamespace(
        id=workspace_id,
        manager=manager,
        inside=inside,
        outside=outside,
        people=people,
        pipeline=pipeline,
        contacts=contacts,
        deals={},
    )


async def random_changes(gql, workspace, team, seed: int, steps: int) -> Counter:
    """Deals created, handed over, moved to another contact, trashed and
    restored, contacts handed over and merged, at random through the API;
    the rows checked against the recomputation after each."""
    rng = random.Random(seed)
    token = workspace.token
    done: Counter = Counter()

    async def ok(document, variables, payload):
        data = await gql.ok(document, variables, token=token)
        assert data[payload]["userErrors"] == [], (payload, variables, data)

    for _ in range(steps):
        live = [deal for deal, alive in team.deals.items() if alive]
        trashed = [deal for deal, alive in team.deals.items() if not alive]
        kinds = ["create"] * 3 + ["contact owner"] * 2 + ["merge"]
        kinds += ["deal owner", "deal contact", "trash"] * 2 if live else []
        kinds += ["restore"] * 3 if trashed else []
        kind = rng.choice(kinds)
        owner = rng.choice([*team.people, None])
        owner_input = {"ownerId": owner["id"]} if owner else {}
        if kind == "create":
            fields = {"contactId": rng.choice(team.contacts)} if rng.random() < 0.9 else {}
            deal = await create_deal(gql, token, team.pipeline["id"], **fields, **owner_input)
            team.deals[deal["id"]] = True
        elif kind == "deal owner" and owner:
            await ok(UPDATE_DEAL, {"id": rng.choice(live), "input": owner_input}, "updateDeal")
        elif kind == "deal contact":
            await ok(
                UPDATE_DEAL,
                {"id": rng.choice(live), "input": {"contactId": rng.choice(team.contacts)}},
                "updateDeal",
            )
        elif kind == "trash":
            deal = rng.choice(live)
            await ok(DELETE_DEAL, {"id": deal}, "deleteDeal")
            team.deals[deal] = False
        elif kind == "restore":
            deal = rng.choice(trashed)
            await ok(RESTORE_DEAL, {"id": deal}, "restoreDeal")
            team.deals[deal] = True
        elif kind == "contact owner" and owner:
            await ok(UPDATE_CONTACT, {"id": rng.choice(team.contacts), "input": owner_input}, "updateContact")
        elif kind == "merge" and len(team.contacts) > 4:
            primary, duplicate = rng.sample(team.contacts, 2)
            await ok(MERGE_CONTACTS, {"primaryId": primary, "duplicateId": duplicate}, "mergeContacts")
            team.contacts.remove(duplicate)
        else:
            continue
        done[kind] += 1
        assert await held_hand_offs(team.id) == await expected_hand_offs(team.id), (kind, dict(done))
    return done


async def test_the_hand_offs_follow_deals_and_contacts(gql, workspace):
    # given a team, contacts of everyone and of no one
    team = await a_team_with_hand_offs(gql, workspace)
    # when deals and contacts change at random, then after every change the
    # rows are those of the deals and contacts
    done = await random_changes(gql, workspace, team, seed=11, steps=60)
    assert set(done) == {"create", "deal owner", "deal contact", "trash", "restore", "contact owner", "merge"}
    held = await held_hand_offs(team.id)
    assert len(held) > 3 and len({owner for _, owner in held}) > 1
    # and a contact removed for good takes its rows along (its deals keep no contact)
    contact_id = held[0][0]
    await Contact.filter(id=contact_id).delete()
    assert contact_id not in {contact for contact, _ in await held_hand_offs(team.id)}
    assert await held_hand_offs(team.id) == await expected_hand_offs(team.id)


async def test_each_caller_counts_the_leads_owned_or_handed_to_their_scope(gql, workspace):
    # given contacts handed back and forth through deals
    team = await a_team_with_hand_offs(gql, workspace)
    await random_changes(gql, workspace, team, seed=5, steps=40)
    assert await held_hand_offs(team.id)
    ids = {who["id"]: pk_of(who["id"], "User") for who in team.people}
    callers = [
        (workspace.token, None),
        (team.manager["token"], {ids[team.manager["id"]], ids[team.inside["id"]]}),
        (team.inside["token"], {ids[team.inside["id"]]}),
        (team.outside["token"], {ids[team.outside["id"]]}),
    ]
    for token, owners in callers:
        # when each caller counts the leads by owner
        found = await lead_report(gql, token, "OWNER", around_now())
        # then the counts are those of the rule, and the contacts list agrees
        expected = await expected_leads(team.id, owners)
        keys = {None if owner is None else encode_id("User", owner): n for owner, n in expected.items()}
        assert {b["key"] or None: b["count"] for b in found} == keys, owners
        listed = await gql.ok(CONTACTS, {"filter": None}, token=token)
        assert listed["contacts"]["totalCount"] == sum(expected.values())
    # the manager sees some contacts only through a deal
    manager_sees = await expected_leads(team.id, callers[1][1])
    assert set(manager_sees) - callers[1][1]


async def test_the_migration_fills_the_hand_offs_from_the_deals(gql, workspace):
    # given deals handed over, and rows lost, as before migration 0035
    team = await a_team_with_hand_offs(gql, workspace)
    await random_changes(gql, workspace, team, seed=3, steps=30)
    kept = await held_hand_offs(team.id)
    editor = SimpleNamespace(client=connections.get("default"))
    await HAND_OFF.drop(None, editor)
    assert not await ContactHandOff.all().exists()
    # when its backfill and triggers run
    await HAND_OFF.create(None, editor)
    # then it finds the rows the triggers kept, and they keep them from then on
    assert await held_hand_offs(team.id) == kept == await expected_hand_offs(team.id) != []
    await random_changes(gql, workspace, team, seed=4, steps=20)


@pytest.mark.skipif(not REAL_DB, reason="SQLite has one writer at a time: nothing interleaves")
async def test_a_deal_and_its_contact_handed_over_at_once_leave_no_stale_row(gql, workspace):
    import asyncpg

    # given a contact and its one deal, both Bruno's
    team = await a_team_with_hand_offs(gql, workspace)
    bruno, carla = (pk_of(who["id"], "User") for who in (team.inside, team.outside))
    contact = await create_contact(gql, workspace.token, ownerId=team.inside["id"])
    deal = await create_deal(
        gql, workspace.token, team.pipeline["id"], contactId=contact["id"], ownerId=team.inside["id"]
    )
    contact_id, deal_id = pk_of(contact["id"], "Contact"), pk_of(deal["id"], "Deal")
    url = os.environ["REVGRAPH_DATABASE_URL"]
    first, second = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        # when one transaction gives the deal to Carla and, before it
        # commits, another gives her the contact
        deal_moved = first.transaction()
        await deal_moved.start()
        await first.execute("UPDATE deal SET owner_id = $1 WHERE id = $2", carla, deal_id)
        contact_moved = asyncio.ensure_future(
            second.execute("UPDATE contact SET owner_id = $1 WHERE id = $2", carla, contact_id)
        )
        await asyncio.sleep(0.5)
        # then the second waits for the first (the deal trigger's lock)
        assert not contact_moved.done()
        await deal_moved.commit()
        await contact_moved
    finally:
        await first.close()
        await second.close()
    # and the contact, now Carla's like its deal, is handed to no one
    assert (contact_id, bruno) not in await held_hand_offs(team.id)
    assert (contact_id, carla) not in await held_hand_offs(team.id)
    assert await held_hand_offs(team.id) == await expected_hand_offs(team.id)
