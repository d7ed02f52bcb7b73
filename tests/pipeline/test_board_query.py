"""The board query: every column with its cards, their owners and contacts,
in a number of SQL statements that does not grow with the cards, and each
card's contact shown only to who may see it."""

from __future__ import annotations

from tests.graph.documents import create_contact
from tests.pipeline.support import create_deal, create_pipeline

# Owner and contact through a fragment, as a client's card component would.
BOARD = """
query Board($id: ID!, $first: Int) {
  pipeline(id: $id) {
    stages { name dealCount deals(first: $first) { edges { node { ...Card } } } }
  }
}
fragment Card on Deal { id title owner { id name } contact { id name } }
"""


async def _board(gql, token, pipeline_id, first, count_sql=None):
    if count_sql is None:
        return (await gql.ok(BOARD, {"id": pipeline_id, "first": first}, token=token))["pipeline"]
    with count_sql() as counter:
        data = await gql.ok(BOARD, {"id": pipeline_id, "first": first}, token=token)
    return data["pipeline"], counter.statements


async def test_the_board_costs_the_same_sql_for_few_or_many_cards(gql, workspace, count_sql):
    # given two stages with 8 cards each, owned by three agents, each with a contact
    pipeline = await create_pipeline(gql, workspace.token)
    agents = [await workspace.user("AGENT") for _ in range(3)]
    for index in range(16):
        agent = agents[index % 3]
        contact = await create_contact(gql, agent["token"], name=f"Cliente {index}")
        stage = "Novo lead" if index % 2 else "Em contato"
        await create_deal(
            gql,
            agent["token"],
            pipeline["id"],
            title=f"Negócio {index}",
            contactId=contact["id"],
            stageId=pipeline["stage"][stage],
        )
    # when the board is read with 2 and with 8 cards per column
    _, few = await _board(gql, workspace.token, pipeline["id"], 2, count_sql)
    large, many = await _board(gql, workspace.token, pipeline["id"], 8, count_sql)
    # then every card has its owner and contact, and the SQL did not grow
    cards = [e["node"] for s in large["stages"] for e in s["deals"]["edges"]]
    assert len(cards) == 16
    assert all(card["owner"]["name"].startswith("Agent") and card["contact"]["name"] for card in cards)
    # (the session, the pipeline, its stages, their counts, every column's
    # cards with their owners and contacts in one statement)
    assert len(many) == len(few) == 5, many


async def test_whoever_sees_a_card_sees_its_contact(gql, workspace):
    # given an agent's deals (given by the admin), one with another agent's contact
    pipeline = await create_pipeline(gql, workspace.token)
    mine, other = await workspace.user("AGENT"), await workspace.user("AGENT")
    theirs = await create_contact(gql, other["token"], name="Contato do outro")
    own = await create_contact(gql, mine["token"], name="Meu contato")
    for title, contact in (("Com contato alheio", theirs), ("Com meu contato", own)):
        await create_deal(
            gql, workspace.token, pipeline["id"], title=title, contactId=contact["id"], ownerId=mine["id"]
        )
    # when the deals' owner, the other agent and the admin read the board
    as_owner = await _board(gql, mine["token"], pipeline["id"], 10)
    as_other = await _board(gql, other["token"], pipeline["id"], 10)
    as_admin = await _board(gql, workspace.token, pipeline["id"], 10)

    def contacts(board):
        return {
            e["node"]["title"]: e["node"]["contact"] and e["node"]["contact"]["name"]
            for s in board["stages"]
            for e in s["deals"]["edges"]
        }

    # then the deals' owner sees both cards with their contacts (the hand-off
    # rule: whoever may see a deal sees its contact), as the admin does
    both = {"Com contato alheio": "Contato do outro", "Com meu contato": "Meu contato"}
    assert contacts(as_owner) == both
    assert contacts(as_admin) == both
    # and the other agent, who owns a contact but no deal, sees no card
    assert contacts(as_other) == {}
