"""Positions per topic (resolvers/log_position.py `topics_of`, schema/poll.py
`report`): a report that declares what it reads is kept across changes of
other topics (a deal's move leaves leadReport cached, a new contact the
funnel) and recomputed on the next poll after a change of its own. The
tables a declared report reads must be written only under topics it
declares (TABLE_TOPICS), and the use cases that write those tables must
move one of their topics."""

import logging
import re

from revgraph.resolvers import log_position
from revgraph.resolvers.inbox import report as inbox_report_module
from revgraph.resolvers.reports import activity as activity_module
from revgraph.resolvers.reports import appointments as appointments_module
from revgraph.resolvers.reports import deals as deal_report_module
from revgraph.resolvers.reports import distribution as distribution_module
from revgraph.resolvers.reports import funnel as funnel_report
from revgraph.resolvers.reports import leads as lead_report_module
from revgraph.resolvers.reports import snapshot as snapshot_module
from tests.distribution.support import capture, create_queue
from tests.graph.documents import ADD_NOTE, COMPLETE_TASK, CREATE_TASK
from tests.inbox.test_report import REPORT as INBOX_REPORT
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline, move
from tests.reports.test_appointment_report import APPOINTMENTS
from tests.reports.test_deal_report import DEAL_REPORT
from tests.reports.test_funnel import DELETE_DEAL, FUNNEL, STAGES
from tests.reports.test_lead_report import LEAD_REPORT, around_now, contact
from tests.reports.test_people_reports import ACTIVITY, DISTRIBUTION
from tests.reports.test_pipeline_snapshot import SNAPSHOT
from tests.reports.test_poll_cache import authentication_only, settled

# Who writes what a declared report reads: the topics whose events go with
# every write of the table (tests below check both sides).
TABLE_TOPICS = {
    "deal": {"deals", "deal_stages"},
    "deal_stage_entry": {"deals", "deal_stages"},
    "stage_day": {"deals", "deal_stages"},  # by the triggers on deal_stage_entry
    "stage_current": {"deals", "deal_stages"},  # by the triggers on deal
    "stage_transition": {"deals", "deal_stages"},
    "stage": {"deals"},
    "pipeline": {"deals", "deal_stages"},  # a move takes the board sequence
    "contact": {"contacts"},
    # by the triggers on deal (its contact, owner, trash) and contact (its owner)
    "contact_hand_off": {"deals", "contacts"},
    "touchpoint": {"contacts"},
    "contact_tag": {"contacts"},
    "tag": {"contacts"},
    # worked_at: the first contact, set by a move, a note or task, a reply
    "assignment": {"distribution", "deal_stages", "activities", "inbox"},
    "queue": {"distribution"},
    "task": {"activities"},
    "conversation": {"inbox"},
    "conversation_segment": {"inbox"},
    "inbox": {"inbox"},
    "message": {"inbox"},
    "sla_policy": {"inbox"},
    "development": {"other"},
    "event": set(log_position.TOPICS),  # the log itself
    "workspace": {"people"},
    "app_user": {"people"},
    "team": {"people"},
}
# Columns a report reads of a table that other topics write too, each with
# why it cannot change under them. leadReport reads a deal's owner and
# contact (who sees a contact through a deal): a move's patch that changes
# either records `deals` as well (topics_of: `changes`).
READ_ONLY_UNMOVED = {
    ("leadReport", "deal"),
    # leadReport reads who an assignment went to and through which queue,
    # written with `distribution`; not worked_at.
    ("leadReport", "assignment"),
    # activityReport reads the log's note.added and task.completed events
    # only, recorded under `activities`.
    ("activityReport", "event"),
}
# Positions, not data: the funnel reads its owners' parts' counters
# (resolvers/reports/owner_parts.py), which every unit of work moves.
READ_POSITIONS = {("funnel", "sequence_counter")}
# Writes made under another topic, of columns no declared report reads:
# a move marks the lead's assignment worked, or released when the deal
# closes (resolvers/distribution/assign.py); presence is not a change.
UNREAD_WRITES = ('UPDATE "app_user" SET "last_seen_at"',)
DECLARED = {
    "funnel": funnel_report.READS,
    "leadReport": lead_report_module.READS,
    "dealReport": deal_report_module.READS,
    "pipelineSnapshot": snapshot_module.READS,
    "appointmentReport": appointments_module.READS,
    "distributionReport": distribution_module.READS,
    "activityReport": activity_module.READS,
    "inboxReport": inbox_report_module.READS,
}
TABLE = re.compile(r'(?:FROM|JOIN|INTO|UPDATE)\s+"([a-z_]+)"', re.IGNORECASE)
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"([a-z_]+)"', re.IGNORECASE)


async def leads(gql, token, range_):
    return (await gql.ok(LEAD_REPORT, {"by": "OWNER", "range": range_}, token=token))["leadReport"]


async def funnel(gql, token, pipeline_id, range_):
    return (await gql.ok(FUNNEL, {"pipelineId": pipeline_id, "range": range_}, token=token))["funnel"]


async def test_a_move_leaves_lead_report_cached_and_a_new_contact_does_not(gql, workspace, count_sql):
    # given a contact, a deal and a dashboard that read leadReport
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    deal = await create_deal(gql, token, pipeline["id"])
    await contact(gql, token)
    range_ = around_now()
    first = await leads(gql, token, range_)
    # when the deal moves (and is reordered in its new column)
    for stage in ("Contato", "Proposta", "Proposta"):
        moved = await move(gql, token, dealId=deal["id"], stageId=pipeline["stage"][stage])
        assert moved["userErrors"] == []
    # then the next poll is the cached answer: no SQL beyond authentication
    with count_sql() as counter:
        assert await leads(gql, token, range_) == first
    assert authentication_only(counter.statements), counter.statements
    # and when a contact is created, the next poll counts it
    await contact(gql, token)
    again = await leads(gql, token, range_)
    assert sum(b["count"] for b in again) == sum(b["count"] for b in first) + 1


async def test_a_contact_change_leaves_the_funnel_cached_and_a_move_does_not(gql, workspace, count_sql):
    # given a deal and a dashboard that read the funnel
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    deal = await create_deal(gql, token, pipeline["id"])
    range_ = around_now()
    first = await funnel(gql, token, pipeline["id"], range_)
    # when contacts are created
    await contact(gql, token)
    await contact(gql, token)
    # then the next poll is the cached answer
    with count_sql() as counter:
        assert await funnel(gql, token, pipeline["id"], range_) == first
    assert authentication_only(counter.statements), counter.statements
    # and when the deal moves, the next poll has it
    moved = await move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Contato"])
    assert moved["userErrors"] == []
    entered = {
        row["stage"]["name"]: row["entered"]
        for row in (await funnel(gql, token, pipeline["id"], range_))["stages"]
    }
    assert entered["Contato"] == 1
    # and a deal's change of owner or trash too (the deals topic)
    assert (await gql.ok(DELETE_DEAL, {"id": deal["id"]}, token=token))["deleteDeal"]["userErrors"] == []
    assert (await funnel(gql, token, pipeline["id"], range_))["stages"][1]["entered"] == 0


async def test_the_other_reports_stay_cached_across_changes_they_do_not_read(gql, workspace, count_sql):
    # given a deal and a dashboard of the reports that do not read contacts
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    deal = await create_deal(gql, token, pipeline["id"], value="10.00")
    range_ = around_now()
    dashboard = [
        (SNAPSHOT, {"pipelineId": pipeline["id"]}),
        (ACTIVITY, {"range": range_}),
        (INBOX_REPORT, {"range": range_}),
        (DISTRIBUTION, {"range": range_}),
    ]
    first = [await gql.ok(document, variables, token=token) for document, variables in dashboard]
    # when a contact is created
    await contact(gql, token)
    # then each next poll is its cached answer: no SQL beyond authentication
    for (document, variables), answer in zip(dashboard, first, strict=True):
        with count_sql() as counter:
            assert await gql.ok(document, variables, token=token) == answer
        assert authentication_only(counter.statements), (document, counter.statements)
    # and when the deal moves, the snapshot and the activities count it
    moved = await move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Ganho"])
    assert moved["userErrors"] == []
    snapshot = (await gql.ok(*dashboard[0], token=token))["pipelineSnapshot"]
    assert snapshot != first[0]["pipelineSnapshot"]
    activity = (await gql.ok(*dashboard[1], token=token))["activityReport"]
    assert sum(row["dealMoves"] for row in activity) == 1


async def test_what_a_declared_report_reads_is_written_under_its_topics(gql, workspace, count_sql):
    # given some of everything the reports read
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    deal = await create_deal(gql, token, pipeline["id"])
    await move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Contato"])
    await contact(gql, token)
    range_ = around_now()
    asked = {
        "funnel": [(FUNNEL, {"pipelineId": pipeline["id"], "range": range_})],
        "leadReport": [
            (LEAD_REPORT, {"by": by, "range": range_})
            for by in ("SOURCE", "MEDIA", "CAMPAIGN", "OWNER", "TEAM", "QUEUE", "LIFECYCLE_STAGE", "DAY")
        ],
        "dealReport": [
            (DEAL_REPORT, {"by": by, "range": range_})
            for by in ("OWNER", "TEAM", "SOURCE", "DEVELOPMENT", "STAGE", "DAY", "WEEK", "MONTH")
        ],
        "pipelineSnapshot": [(SNAPSHOT, {"pipelineId": pipeline["id"]})],
        "appointmentReport": [(APPOINTMENTS, {"by": by, "range": range_}) for by in ("OWNER", "DAY")],
        "distributionReport": [(DISTRIBUTION, {"range": range_})],
        "activityReport": [(ACTIVITY, {"range": range_})],
        "inboxReport": [(INBOX_REPORT, {"range": range_})],
    }
    assert set(asked) == set(DECLARED)
    read: dict[str, set[str]] = {}
    for name, queries in asked.items():
        for document, variables in queries:
            with count_sql() as counter:
                await gql.ok(document, variables, token=token)
            read.setdefault(name, set()).update(
                table for sql in counter.statements[1:] for table in TABLE.findall(sql)
            )
    # then every table each reads is written only under topics it declares
    for name, tables in read.items():
        declared = {*DECLARED[name], "other"}
        assert tables, name
        for table in tables - {t for n, t in READ_POSITIONS if n == name}:
            assert table in TABLE_TOPICS, (name, table)
            if (name, table) not in READ_ONLY_UNMOVED:
                assert TABLE_TOPICS[table] <= declared, (name, table, declared)


async def test_the_use_cases_writing_those_tables_move_their_topics(gql, workspace, monkeypatch):
    # given every unit of work's topics, recorded as it commits
    token = workspace.token
    moved: list[set[str]] = []
    original = log_position.advance

    async def recording(changes):
        moved.append({topic for topics in changes.values() for topic in topics})
        await original(changes)

    monkeypatch.setattr(log_position, "advance", recording)
    pipeline = await create_pipeline(gql, token, STAGES)
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, token, [{"userId": agent["id"]}])
    # when the use cases that write them run, every statement logged
    # (transactions included: the driver's log, not the connection's methods)
    statements: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: statements.append(record.getMessage())
    logger = logging.getLogger("tortoise.db_client")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    steps = []

    async def step(coroutine):
        start, units = len(statements), len(moved)
        await coroutine
        await settled()
        steps.append((statements[start:], moved[units:]))

    try:
        # (owned: a deal of no owner concerns no owner's topics)
        deal = await create_deal(gql, token, pipeline["id"], value="10.00", ownerId=agent["id"])
        await step(move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Contato"]))
        await step(move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Contato"]))
        await step(move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Ganho"]))
        await step(move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Novo"]))
        await step(gql.ok(UPDATE_DEAL, {"id": deal["id"], "input": {"value": "20.00"}}, token=token))
        await step(contact(gql, token))
        lead = await contact(gql, token)
        await step(gql.ok(ADD_NOTE, {"input": {"subjectId": lead, "body": "Ligou"}}, token=token))
        task = await gql.ok(CREATE_TASK, {"input": {"title": "Ligar", "contactId": lead}}, token=token)
        await step(gql.ok(COMPLETE_TASK, {"id": task["createTask"]["task"]["id"]}, token=token))
        await step(capture(gql, token, phone="11987654321", queueId=queue["id"], pipelineId=pipeline["id"]))
        await step(gql.ok(DELETE_DEAL, {"id": deal["id"]}, token=token))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    # then every write of a table a report reads went with one of its topics
    checked = 0
    for logged, units in steps:
        topics = set().union(*units) if units else set()
        for sql in logged:
            found = WRITE.match(sql)
            if found is None or found.group(1) not in TABLE_TOPICS or sql.lstrip().startswith(UNREAD_WRITES):
                continue
            checked += 1
            assert topics & TABLE_TOPICS[found.group(1)], (sql, topics)
            # and a table of deals' figures, with whose deals they are (or `@*`:
            # whoever's), which scoped answers are kept by (test_owner_positions.py)
            if TABLE_TOPICS[found.group(1)] <= set(log_position.OWNED_TOPICS):
                owned = {t.split("@")[0] for t in topics if "@" in t}
                assert owned & TABLE_TOPICS[found.group(1)], (sql, topics)
    assert checked > 20
