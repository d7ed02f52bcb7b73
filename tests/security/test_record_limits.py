"""How big a record may grow, and what its text may hold (RELIABILITY.md
"Exposure and errors": sizes are bounded). Tags per record and their
length, custom fields' keys, size and depth are settings; names and tags
are one line without control characters. Past a limit the mutation answers
an INVALID userError on the field and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from revgraph.resolvers.settings import Settings, SettingsError
from tests.graph.documents import (
    CONTACTS,
    CREATE_COMPANY,
    CREATE_CONTACT,
    MERGE_CONTACTS,
    UPDATE_CONTACT,
    create_contact,
)
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline
from tests.support import GraphQLClient

COMPANIES = "query { companies(first: 10) { totalCount } }"


def refusal(data: dict[str, Any]) -> dict[str, Any]:
    """The single userError of a refused mutation, its record null."""
    [payload] = data.values()
    [error] = payload["userErrors"]
    assert error["code"] == "INVALID", error
    assert next(v for k, v in payload.items() if k != "userErrors") is None
    return error


async def contacts(gql: Any, token: str) -> list[dict[str, Any]]:
    page = (await gql.ok(CONTACTS, {"first": 100}, token=token))["contacts"]
    return [edge["node"] for edge in page["edges"]]


async def test_nul_and_control_characters_are_refused_in_names_and_tags(gql, workspace):
    # given a contact
    contact = await create_contact(gql, workspace.token, tags=["vip"])
    attempts = [
        (CREATE_CONTACT, {"input": {"name": "Ana\x00Souza"}}, ["input", "name"]),
        (CREATE_CONTACT, {"input": {"name": "Ana", "tags": ["a\tb"]}}, ["input", "tags", "0"]),
        (
            UPDATE_CONTACT,
            {"id": contact["id"], "input": {"tags": ["vip", "x\x1b[31m"]}},
            ["input", "tags", "1"],
        ),
        (UPDATE_CONTACT, {"id": contact["id"], "input": {"name": "Maria\u0085Souza"}}, ["input", "name"]),
        (CREATE_COMPANY, {"input": {"name": "Acme\rImóveis"}}, ["input", "name"]),
    ]
    for document, variables, field in attempts:
        # when a name or a tag carries NUL, a tab, an escape sequence, a C1 control or a CR
        data = await gql.ok(document, variables, token=workspace.token)
        # then it is INVALID on that field
        error = refusal(data)
        assert error["field"] == field, (variables, error)
        assert "caractere de controle" in error["message"]
    # and nothing was stored: the contact as it was, no company
    assert [(c["name"], c["tags"]) for c in await contacts(gql, workspace.token)] == [
        ("Maria Souza", ["vip"])
    ]
    assert (await gql.ok(COMPANIES, token=workspace.token))["companies"]["totalCount"] == 0


async def test_tags_per_record_and_their_length_are_limited(gql, workspace, server):
    # given a contact and the limits (100 tags of at most 64 characters)
    limits = server.settings.limits
    contact = await create_contact(gql, workspace.token, tags=["vip"])
    at_limit = [f"tag {i}" for i in range(limits.max_tags)]
    # when 20,000 tags, one over the limit, or one tag too long are sent
    for tags, field in (
        ([f"t{i}" for i in range(20_000)], ["input", "tags"]),
        ([*at_limit, "one more"], ["input", "tags"]),
        (["x" * (limits.max_tag_chars + 1)], ["input", "tags", "0"]),
    ):
        data = await gql.ok(
            UPDATE_CONTACT, {"id": contact["id"], "input": {"tags": tags}}, token=workspace.token
        )
        # then each is refused on the tags
        assert refusal(data)["field"] == field
    # and the contact keeps its tag, while exactly the limit is accepted
    assert (await contacts(gql, workspace.token))[0]["tags"] == ["vip"]
    done = await gql.ok(
        UPDATE_CONTACT, {"id": contact["id"], "input": {"tags": at_limit}}, token=workspace.token
    )
    assert done["updateContact"]["contact"]["tags"] == at_limit


def nested(levels: int) -> dict[str, Any]:
    """{"a": {"a": ... 1}}: `levels` objects deep."""
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


async def test_custom_fields_count_key_length_size_and_depth_are_limited(gql, workspace, server):
    # given a contact with custom fields, a deal and the limits
    limits = server.settings.limits
    contact = await create_contact(gql, workspace.token, customFields={"renda": "10k"})
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    oversized = [
        {f"k{i}": i for i in range(5000)},
        {f"k{i}": i for i in range(limits.max_custom_fields + 1)},
        {"k" * (limits.max_custom_field_key_chars + 1): 1},
        {"texto": "x" * limits.max_custom_fields_bytes},
        nested(900),
        nested(limits.max_custom_fields_depth + 1),
    ]
    for custom in oversized:
        # when a contact or a deal is given such custom fields
        on_contact = await gql.ok(
            UPDATE_CONTACT, {"id": contact["id"], "input": {"customFields": custom}}, token=workspace.token
        )
        on_deal = await gql.ok(
            UPDATE_DEAL, {"id": deal["id"], "input": {"customFields": custom}}, token=workspace.token
        )
        # then both are refused on customFields
        assert refusal(on_contact)["field"] == ["input", "customFields"]
        assert refusal(on_deal)["field"] == ["input", "customFields"]
    # and nothing changed
    contact_after = await gql.ok(
        "query($id: ID!) { contact(id: $id) { customFields } }", {"id": contact["id"]}, token=workspace.token
    )
    assert contact_after["contact"]["customFields"] == {"renda": "10k"}
    deal_after = await gql.ok(
        "query($id: ID!) { deal(id: $id) { customFields } }", {"id": deal["id"]}, token=workspace.token
    )
    assert deal_after["deal"]["customFields"] == {}
    # while exactly the limits pass
    fits = {f"k{i}": i for i in range(limits.max_custom_fields - 1)} | {
        "deep": nested(limits.max_custom_fields_depth - 1)
    }
    done = await gql.ok(
        UPDATE_CONTACT, {"id": contact["id"], "input": {"customFields": fits}}, token=workspace.token
    )
    assert done["updateContact"]["userErrors"] == []


async def test_a_merge_that_would_pass_the_tag_limit_is_refused_and_changes_nothing(
    gql, workspace, private_server
):
    # given a server allowing 3 tags per record, and two contacts of two tags each
    limited = await private_server(limits={"max_tags": 3})
    primary = await create_contact(gql, workspace.token, email="ana@example.com", tags=["a", "b"])
    duplicate = await create_contact(gql, workspace.token, email="ana.s@example.com", tags=["c", "d"])
    async with httpx.AsyncClient(timeout=30) as http:
        client = GraphQLClient(limited, http)
        # when they are merged
        data = await client.ok(
            MERGE_CONTACTS,
            {"primaryId": primary["id"], "duplicateId": duplicate["id"]},
            token=workspace.token,
        )
    # then the merge is refused, both contacts live with their own tags
    error = refusal(data)
    assert error["field"] == ["duplicateId"] and "4 tags" in error["message"]
    assert sorted((c["email"], tuple(c["tags"])) for c in await contacts(gql, workspace.token)) == [
        ("ana.s@example.com", ("c", "d")),
        ("ana@example.com", ("a", "b")),
    ]


def test_record_limits_are_settings_from_the_environment():
    # given limits set in the environment (and a key, so nothing is written to disk)
    key = {"REVGRAPH_SECRET_KEY": "unused"}
    env = {
        **key,
        "REVGRAPH_MAX_TAGS": "7",
        "REVGRAPH_MAX_TAG_CHARS": "32",
        "REVGRAPH_MAX_CUSTOM_FIELDS": "9",
        "REVGRAPH_MAX_CUSTOM_FIELD_KEY_CHARS": "20",
        "REVGRAPH_MAX_CUSTOM_FIELDS_BYTES": "2048",
        "REVGRAPH_MAX_CUSTOM_FIELDS_DEPTH": "2",
        "REVGRAPH_MAX_SEARCH_CHARS": "50",
        "REVGRAPH_MAX_FILTER_DEPTH": "3",
        "REVGRAPH_MAX_FILTER_CONDITIONS": "30",
        "REVGRAPH_MAX_FILTER_VALUES": "40",
    }
    # when settings are read, then each is taken; the defaults otherwise
    limits = Settings.from_env(env).limits
    assert (limits.max_tags, limits.max_tag_chars, limits.max_custom_fields) == (7, 32, 9)
    assert (limits.max_custom_field_key_chars, limits.max_custom_fields_bytes) == (20, 2048)
    assert (limits.max_custom_fields_depth, limits.max_search_chars) == (2, 50)
    assert (limits.max_filter_depth, limits.max_filter_conditions, limits.max_filter_values) == (3, 30, 40)
    defaults = Settings.from_env(key).limits
    assert (defaults.max_tags, defaults.max_custom_fields, defaults.max_custom_fields_bytes) == (
        100,
        100,
        16384,
    )
    # a tag length the column cannot hold stops the process
    with pytest.raises(SettingsError, match="REVGRAPH_MAX_TAG_CHARS"):
        Settings.from_env({**key, "REVGRAPH_MAX_TAG_CHARS": "65"})
