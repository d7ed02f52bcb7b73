"""leadReport: the contacts created in a range that the caller sees and the
filter selects, counted by source, first touchpoint's media and campaign,
owner, team, first assignment's roleta, lifecycle stage, or calendar
period in the workspace's timezone (America/Sao_Paulo, UTC-3)."""

from datetime import UTC, datetime, timedelta

from tests.distribution.support import capture, create_queue, distribute
from tests.reports.support import error_of, set_created, window

LEAD_REPORT = """
query LeadReport($by: LeadDimension!, $range: ReportRange!, $filter: ContactFilter) {
  leadReport(by: $by, range: $range, filter: $filter) { key label count value }
}
"""
CREATE_CONTACT = """
mutation CreateContact($input: ContactInput!) {
  createContact(input: $input) { contact { id } userErrors { code message field } }
}
"""
CONTACTS = "query($filter: ContactFilter) { contacts(filter: $filter) { totalCount } }"
DELETE_CONTACT = "mutation($id: ID!) { deleteContact(id: $id) { userErrors { code } } }"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def around_now() -> dict:
    now = datetime.now(UTC)
    return window(now - timedelta(hours=1), now + timedelta(hours=1))


async def lead_report(gql, token, by, range_, filter=None):
    data = await gql.ok(LEAD_REPORT, {"by": by, "range": range_, "filter": filter}, token=token)
    return data["leadReport"]


def counts(buckets) -> list[tuple[str, str, int]]:
    assert all(b["value"] is None for b in buckets)
    return [(b["key"], b["label"], b["count"]) for b in buckets]


async def contact(gql, token, created_at=None, **fields) -> str:
    data = await gql.ok(CREATE_CONTACT, {"input": {"name": "Lead", **fields}}, token=token)
    assert data["createContact"]["userErrors"] == [], data
    contact_id = data["createContact"]["contact"]["id"]
    if created_at is not None:
        await set_created(contact_id, created_at)
    return contact_id


async def test_days_in_the_workspace_timezone_with_the_empty_ones(gql, workspace):
    # given contacts created around São Paulo's midnights (UTC-3)
    token = workspace.token
    for at in (
        utc(2025, 12, 29, 1),  # 28/12 22:00 in São Paulo
        utc(2025, 12, 29, 3),  # 29/12 00:00
        utc(2025, 12, 31, 12),
        utc(2026, 1, 1, 2, 59),  # 31/12 23:59
        utc(2026, 1, 1, 3),  # 01/01 00:00: after the range
    ):
        await contact(gql, token, at)
    # when the admin counts them by day from the 28th to the 31st in São Paulo
    found = await lead_report(gql, token, "DAY", window(utc(2025, 12, 28, 3), utc(2026, 1, 1, 3)))
    # then each falls on its local day, and the day without contacts is there with 0
    assert counts(found) == [
        ("2025-12-28", "28/12/2025", 1),
        ("2025-12-29", "29/12/2025", 1),
        ("2025-12-30", "30/12/2025", 0),
        ("2025-12-31", "31/12/2025", 2),
    ]
    # and a range starting at midnight UTC touches the evening before in São Paulo
    found = await lead_report(gql, token, "DAY", window(utc(2025, 12, 28), utc(2025, 12, 29)))
    assert [b["key"] for b in found] == ["2025-12-27", "2025-12-28"]


async def test_iso_weeks_across_the_year_boundary(gql, workspace):
    # given contacts on the Sunday and Monday around the turn of 2025 to 2026
    token = workspace.token
    for at in (utc(2025, 12, 28, 15), utc(2025, 12, 29, 15), utc(2026, 1, 4, 15), utc(2026, 1, 5, 15)):
        await contact(gql, token, at)
    # when the admin counts them by week
    found = await lead_report(gql, token, "WEEK", window(utc(2025, 12, 22, 3), utc(2026, 1, 12, 3)))
    # then Monday 29 December 2025 already is in week 1 of 2026 (ISO 8601)
    assert counts(found) == [
        ("2025-W52", "Semana 52 de 2025", 1),
        ("2026-W01", "Semana 1 de 2026", 2),
        ("2026-W02", "Semana 2 de 2026", 1),
    ]


async def test_months_in_the_workspace_timezone(gql, workspace):
    # given contacts in December and January, one on 31 January late in the evening in São Paulo
    token = workspace.token
    for at in (utc(2025, 12, 28, 15), utc(2025, 12, 29, 15), utc(2026, 1, 4, 15), utc(2026, 2, 1, 2)):
        await contact(gql, token, at)
    # when the admin counts them by month over three months
    found = await lead_report(gql, token, "MONTH", window(utc(2025, 12, 1, 3), utc(2026, 3, 1, 3)))
    # then February is there, empty
    assert counts(found) == [
        ("2025-12", "dezembro de 2025", 2),
        ("2026-01", "janeiro de 2026", 2),
        ("2026-02", "fevereiro de 2026", 0),
    ]


async def test_source_owner_team_and_lifecycle_stage(gql, workspace):
    # given contacts of an agent in a team, of an agent without one, and of nobody
    token = workspace.token
    team = await workspace.team("Equipe SP")
    bruno = await workspace.user("AGENT", team_id=team["id"], name="Bruno")
    carla = await workspace.user("AGENT", name="Carla")
    await contact(gql, token, source="site", ownerId=bruno["id"])
    await contact(gql, token, source="site", ownerId=bruno["id"], lifecycleStage="MQL")
    await contact(gql, token, source="instagram", ownerId=carla["id"])
    await contact(gql, token)
    await contact(gql, token, source="site", ownerId=carla["id"], lifecycleStage="CUSTOMER")

    async def by(dimension):
        return counts(await lead_report(gql, token, dimension, around_now()))

    # when the admin counts them, then largest first, then by label, "none" as "—"
    assert await by("SOURCE") == [("site", "site", 3), ("instagram", "instagram", 1), ("", "—", 1)]
    assert await by("OWNER") == [(bruno["id"], "Bruno", 2), (carla["id"], "Carla", 2), ("", "—", 1)]
    assert await by("TEAM") == [("", "—", 3), (team["id"], "Equipe SP", 2)]
    assert await by("LIFECYCLE_STAGE") == [
        ("LEAD", "Lead", 3),
        ("CUSTOMER", "Cliente", 1),
        ("MQL", "MQL", 1),
    ]


async def test_media_campaign_and_queue_of_the_first_arrival(gql, workspace):
    # given a lead that arrived through a roleta from a paid campaign, came back organically,
    # and was distributed again through another roleta
    token = workspace.token
    agent = await workspace.user("AGENT")
    sp = await create_queue(gql, token, [{"userId": agent["id"]}], name="Roleta SP")
    rj = await create_queue(gql, token, [{"userId": agent["id"]}], name="Roleta RJ")
    first = await capture(
        gql, token, email="x@example.com", media="paid", campaign="Lançamento", queueId=sp["id"]
    )
    await capture(gql, token, email="x@example.com", media="organic", campaign="Verão")
    assert (await distribute(gql, token, rj["id"], contact_id=first["contact"]["id"]))["userErrors"] == []
    # and an organic lead without campaign or roleta, and a contact typed in by hand
    await capture(gql, token, email="y@example.com", media="organic")
    await contact(gql, token)

    async def by(dimension):
        return counts(await lead_report(gql, token, dimension, around_now()))

    # when the admin counts them, then the first arrival and the first assignment decide
    assert await by("MEDIA") == [("organic", "organic", 1), ("paid", "paid", 1), ("", "—", 1)]
    assert await by("CAMPAIGN") == [("", "—", 2), ("Lançamento", "Lançamento", 1)]
    assert await by("QUEUE") == [("", "—", 2), (sp["id"], "Roleta SP", 1)]


async def test_each_role_counts_the_leads_it_sees(gql, workspace):
    # given a manager's team with an agent, an agent outside it, and a contact of each
    token = workspace.token
    manager = await workspace.user("MANAGER", name="Marta")
    team = await workspace.team("Equipe SP", manager_id=manager["id"])
    inside = await workspace.user("AGENT", team_id=team["id"], name="Bruno")
    outside = await workspace.user("AGENT", name="Carla")
    for owner in (inside, inside, manager, outside, None):
        await contact(gql, token, source="site", **({"ownerId": owner["id"]} if owner else {}))

    async def total(who):
        found = await lead_report(gql, who["token"] if who else token, "SOURCE", around_now())
        return sum(b["count"] for b in found)

    # when each counts the leads, then each counts what they see, as the contacts list does
    assert [await total(who) for who in (None, manager, inside, outside)] == [5, 3, 2, 1]
    listed = await gql.ok(CONTACTS, {"filter": {"source": {"eq": "site"}}}, token=manager["token"])
    assert listed["contacts"]["totalCount"] == 3
    found = await lead_report(gql, manager["token"], "OWNER", around_now())
    assert counts(found) == [(inside["id"], "Bruno", 2), (manager["id"], "Marta", 1)]


async def test_the_filter_selects_like_the_contacts_list(gql, workspace):
    # given contacts from two sources, one of them trashed
    token = workspace.token
    await contact(gql, token, source="site", lifecycleStage="MQL")
    await contact(gql, token, source="site")
    await contact(gql, token, source="instagram")
    trashed = await contact(gql, token, source="site")
    assert (await gql.ok(DELETE_CONTACT, {"id": trashed}, token=token))["deleteContact"]["userErrors"] == []
    site = {"source": {"eq": "site"}}
    # when the admin counts by stage the contacts from the site
    found = await lead_report(gql, token, "LIFECYCLE_STAGE", around_now(), filter=site)
    # then the filter narrows, and the trash stays out unless asked for
    assert counts(found) == [("LEAD", "Lead", 1), ("MQL", "MQL", 1)]
    found = await lead_report(gql, token, "SOURCE", around_now(), filter={**site, "deleted": True})
    assert counts(found) == [("site", "site", 1)]
    found = await lead_report(gql, token, "SOURCE", around_now(), filter={"not": site})
    assert counts(found) == [("instagram", "instagram", 1)]


async def test_a_range_without_contacts(gql, workspace):
    # given a contact created now
    await contact(gql, workspace.token, source="site")
    empty = window(utc(2026, 1, 1, 3), utc(2026, 1, 3, 3))
    # when the admin counts a past range, then buckets with contacts are none, and days are empty
    assert await lead_report(gql, workspace.token, "SOURCE", empty) == []
    assert counts(await lead_report(gql, workspace.token, "DAY", empty)) == [
        ("2026-01-01", "01/01/2026", 0),
        ("2026-01-02", "02/01/2026", 0),
    ]


async def test_a_bad_range_or_filter_is_invalid(gql, workspace):
    cases = [
        (window(utc(2026, 1, 2), utc(2026, 1, 1)), None, ["range", "from"]),
        (window(utc(2025, 1, 1), utc(2026, 6, 1)), None, ["range", "to"]),
        (around_now(), {"name": {"contains": "x" * 10_000}}, ["filter", "name", "contains"]),
    ]
    for range_, filter, field in cases:
        body = await gql(
            LEAD_REPORT, {"by": "SOURCE", "range": range_, "filter": filter}, token=workspace.token
        )
        assert error_of(body) == ("INVALID", field)
