"""Report computations read through a connection of their own
(resolvers/database.py `report_reads`): on SQLite a second connection that
reads beside the writer, on PostgreSQL a small pool of its own, so that the
dashboards' first answers do not queue the writes' and lists' statements."""

from __future__ import annotations

import contextlib

from tortoise import connections

from revgraph.resolvers import database
from tests.graph.documents import create_contact
from tests.pipeline.support import create_deal, create_pipeline
from tests.reports.test_funnel import around_now, funnel

CONTACTS = "query { contacts(first: 5) { totalCount edges { node { id name } } } }"


@contextlib.contextmanager
def statements_by_connection():
    """The statements each connection served meanwhile, by connection."""
    served: dict[str, list[str]] = {"default": [], "report_reads": []}
    patched = []
    for name, conn in (("default", connections.get("default")), ("report_reads", database._report_reads)):
        original = conn.execute_query

        async def counted(sql, *args, _name=name, _original=original, **kwargs):
            served[_name].append(sql)
            return await _original(sql, *args, **kwargs)

        conn.execute_query = counted
        patched.append((conn, original))
    try:
        yield served
    finally:
        for conn, original in patched:
            conn.execute_query = original


async def test_a_report_computation_reads_through_its_own_connection_and_requests_do_not(gql, workspace):
    # given a pipeline with a deal, and the report computations' connection
    token = workspace.token
    pipeline = await create_pipeline(gql, token)
    await create_deal(gql, token, pipeline["id"], value="10.00")
    assert database._report_reads is not None
    assert database._report_reads is not connections.get("default")
    with statements_by_connection() as served:
        # when a dashboard's funnel is computed
        computed = await funnel(gql, token, pipeline["id"], around_now())
    # then its figures are read through the report connection, which saw the
    # deal committed just before (the request's credential on the shared one)
    assert computed["stages"][0]["entered"] == 1
    assert served["report_reads"], served
    assert not any('"session"' in sql for sql in served["report_reads"])
    assert any('"session"' in sql for sql in served["default"])
    # and a list, and a write, after it use the shared connection only
    with statements_by_connection() as served:
        await create_contact(gql, token, name="Ana")
        listed = await gql.ok(CONTACTS, token=token)
    assert listed["contacts"]["totalCount"] == 1
    assert served["report_reads"] == []
    assert any('"contact"' in sql for sql in served["default"])
