"""The conversations list: one page with its inbox, contact, assignee and
SLA costs the same SQL at any page size, answers its conversations without
an asyncio task each, and keyset pages walk the list."""

from tests.distribution.support import create_queue
from tests.inbox.support import CREATE_SLA_POLICY, create_inbox, receive, send
from tests.support import TaskCount

LIST = """
query List($first: Int, $after: String) {
  conversations(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id number status canReply replyWindowClosesAt
      inbox { id name } contact { id name } assignee { id name }
      sla { state firstResponseDueAt policy { name } }
    } }
  }
}
"""


async def _seed(gql, workspace, count):
    agents = [await workspace.user("AGENT") for _ in range(3)]
    queue = await create_queue(gql, workspace.token, [{"userId": a["id"]} for a in agents])
    policy = await gql.ok(
        CREATE_SLA_POLICY,
        {"input": {"name": "Padrão", "firstResponseMinutes": 30, "businessHoursOnly": False}},
        token=workspace.token,
    )
    policy_id = policy["createSlaPolicy"]["slaPolicy"]["id"]
    inboxes = [
        await create_inbox(gql, workspace.token, channel=channel, queue_id=queue["id"], slaPolicyId=policy_id)
        for channel in ("WHATSAPP", "API")
    ]
    for index in range(count):
        await receive(
            gql, workspace.token, inboxes[index % 2]["id"], phone=f"+55119{index:08d}", name=f"Pessoa {index}"
        )


async def test_a_page_costs_the_same_sql_at_any_size(gql, workspace, count_sql):
    # given 30 routed conversations in two inboxes with an SLA policy
    await _seed(gql, workspace, 30)
    # when a page of 5 and a page of 30 are listed with their edges
    sizes = {}
    for size in (5, 30):
        with count_sql() as counter:
            data = await gql.ok(LIST, {"first": size}, token=workspace.token)
        assert len(data["conversations"]["edges"]) == size
        assert all(e["node"]["sla"]["state"] == "ON_TRACK" for e in data["conversations"]["edges"])
        sizes[size] = counter.statements
    # then the statements do not grow with the page size
    assert len(sizes[30]) == len(sizes[5]), (sizes[5], sizes[30])


async def test_a_page_answers_inbox_reply_window_and_sla_without_a_task_per_conversation(gql, workspace):
    # given 30 routed conversations in two inboxes with an SLA policy
    await _seed(gql, workspace, 30)
    # when a page of 5 and a page of 30 are listed, counting the tasks made
    tasks = {}
    for size in (5, 30):
        with TaskCount() as count:
            data = await gql.ok(LIST, {"first": size}, token=workspace.token)
        edges = data["conversations"]["edges"]
        assert len(edges) == size
        assert all(e["node"]["sla"]["policy"]["name"] == "Padrão" for e in edges)
        assert all(e["node"]["inbox"]["name"] for e in edges)
        tasks[size] = count.created
    # then the inbox, canReply, replyWindowClosesAt and sla of each
    # conversation answer over what the page preloaded: 25 more rows add no
    # task per row (a task or two may come from the event bus meanwhile)
    assert tasks[30] - tasks[5] < 25, tasks


THREAD = """
query Thread($id: ID!) {
  conversation(id: $id) { messages(first: 50) { totalCount edges { node { id body author { id name } } } } }
}
"""


async def test_a_thread_answers_its_authors_without_a_task_per_message(gql, workspace):
    # given two conversations answered by two people: 2 replies in one, 12 in the other
    inbox = await create_inbox(gql, workspace.token, channel="API")
    other = await workspace.user("ADMIN")
    tokens = {workspace.admin["id"]: workspace.token, other["id"]: other["token"]}
    threads = {}
    for replies, phone in ((2, "+5511900000001"), (12, "+5511900000002")):
        received = await receive(gql, workspace.token, inbox["id"], phone=phone)
        conversation_id = received["conversation"]["id"]
        for index in range(replies):
            author = other if index % 2 else workspace.admin
            await send(gql, tokens[author["id"]], conversation_id, body=f"Resposta {index}")
        threads[replies] = conversation_id
    # when each thread is read, counting the tasks made
    tasks = {}
    for replies, conversation_id in threads.items():
        with TaskCount() as count:
            data = await gql.ok(THREAD, {"id": conversation_id}, token=workspace.token)
        edges = data["conversation"]["messages"]["edges"]
        assert len(edges) == replies + 1 and edges[0]["node"]["author"] is None
        assert {e["node"]["author"]["id"] for e in edges[1:]} == (
            {other["id"], workspace.admin["id"]} if replies > 1 else {workspace.admin["id"]}
        )
        tasks[replies] = count.created
    # then every author answers over the page's one batch: 10 more messages
    # add no task per message (a task or two may come from the event bus)
    assert tasks[12] - tasks[2] < 10, tasks


async def test_keyset_pages_walk_every_conversation_once(gql, workspace):
    # given 12 conversations
    await _seed(gql, workspace, 12)
    # when walked 5 at a time
    seen, after = [], None
    while True:
        page = (await gql.ok(LIST, {"first": 5, "after": after}, token=workspace.token))["conversations"]
        seen += [e["node"]["number"] for e in page["edges"]]
        assert page["totalCount"] == 12
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then each comes once, the latest message first
    assert sorted(seen) == list(range(1, 13))
    assert seen == sorted(seen, reverse=True)
