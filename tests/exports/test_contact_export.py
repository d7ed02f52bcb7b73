"""GET /export/contacts.csv: the contacts list as a spreadsheet file — its
format (BOM, separators, pt-BR headers, São Paulo times, custom fields as
columns), its filter, the caller's visibility, its refusals and its log."""

from datetime import datetime
from zoneinfo import ZoneInfo

from revgraph.models.crm import Contact
from tests.exports.support import BOM, CREATE_API_KEY, export, export_events, parse, rows, workspace_of
from tests.graph.custom_field_support import define_contact_fields
from tests.graph.documents import create_contact

GOOD = {
    "bairro": "Vila Mariana; Zona Sul",
    "dependentes": "2",
    "renda_mensal": "8500,5",
    "nascimento": "31/03/1990",
    "financiamento": "sim",
    "tipologia": "2 quartos",
    "interesses": "piscina, Varanda gourmet",
}
HEADERS = [
    "Número",
    "Nome",
    "E-mail",
    "Telefone",
    "Empresa",
    "Responsável",
    "Etapa do ciclo de vida",
    "Pontuação",
    "Origem",
    "Etiquetas",
    "Criado em",
    "Atualizado em",
]
CUSTOM_HEADERS = [
    "Bairro de interesse",
    "Dependentes",
    "Renda mensal",
    "Data de nascimento",
    "Precisa de financiamento",
    "Tipologia",
    "Itens de lazer",
]


def sao_paulo(iso: str) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo("America/Sao_Paulo")).strftime("%d/%m/%Y %H:%M")


async def test_a_contact_is_a_row_under_pt_br_headers_with_its_custom_fields_as_columns(gql, workspace):
    # given contact fields of every type and a contact that fills them
    await define_contact_fields(gql, workspace.token)
    contact = await create_contact(
        gql,
        workspace.token,
        name="Ana Lima",
        email="ana@example.com",
        phone="+5511987650001",
        tags=["vip", "indicação"],
        ownerId=workspace.admin["id"],
        customFields=GOOD,
    )

    # when the admin exports the contacts
    response = await export(gql, workspace.token, "contacts")

    # then it is a UTF-8 CSV file with a BOM, a header line and the contact
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="contacts-')
    assert response.headers["cache-control"] == "no-store"
    assert int(response.headers["x-ratelimit-used"]) > 0
    assert response.content.startswith(BOM.encode("utf-8"))
    text = response.content.decode("utf-8")
    assert "\r\n" in text
    [row] = parse(text)
    assert list(row) == HEADERS + CUSTOM_HEADERS
    assert row["Nome"] == "Ana Lima"
    assert row["E-mail"] == "ana@example.com"
    assert row["Telefone"] == "+5511987650001"
    assert row["Responsável"] == "Ana Admin"
    assert row["Etapa do ciclo de vida"] == "Lead"
    assert row["Etiquetas"] == "indicação, vip"
    assert row["Criado em"] == sao_paulo(contact["createdAt"])
    # custom fields as people read them: labels, pt-BR dates, Sim/Não
    assert row["Bairro de interesse"] == "Vila Mariana; Zona Sul"
    assert row["Dependentes"] == "2"
    assert row["Renda mensal"] == "8500.5"
    assert row["Data de nascimento"] == "31/03/1990"
    assert row["Precisa de financiamento"] == "Sim"
    assert row["Tipologia"] == "2 quartos"
    assert row["Itens de lazer"] == "Piscina, Varanda gourmet"


async def test_a_semicolon_file_has_decimal_commas_for_excel_in_portuguese(gql, workspace):
    # given a contact with a decimal value and a field holding a semicolon
    await define_contact_fields(gql, workspace.token)
    await create_contact(gql, workspace.token, name="Bia Reis", customFields=GOOD)

    # when exported with sep=;
    response = await export(gql, workspace.token, "contacts", sep=";")

    # then fields are separated by ";", the decimal has a comma and the
    # text with a ";" is quoted
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.splitlines()[0] == BOM + ";".join(HEADERS + CUSTOM_HEADERS)
    assert '"Vila Mariana; Zona Sul"' in text
    [row] = parse(text, ";")
    assert row["Renda mensal"] == "8500,5"
    assert row["Nome"] == "Bia Reis"


async def test_an_unknown_separator_is_refused(gql, workspace):
    response = await export(gql, workspace.token, "contacts", sep="|")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "INVALID", "field": ["sep"]}


async def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(gql, workspace):
    # given a lead whose name a form filled with a formula
    await create_contact(gql, workspace.token, name='=HYPERLINK("http://evil.example","x")')

    # when exported, then the cell starts with an apostrophe
    [row] = await rows(gql, workspace.token, "contacts")
    assert row["Nome"] == '\'=HYPERLINK("http://evil.example","x")'


async def test_the_filter_and_search_select_the_rows_as_the_graphql_list_does(gql, workspace):
    # given three contacts, two with a custom field value
    await define_contact_fields(gql, workspace.token)
    await create_contact(gql, workspace.token, name="Ana Lima", customFields={"tipologia": "studio"})
    await create_contact(gql, workspace.token, name="Ana Souza", customFields={"tipologia": "dois_quartos"})
    await create_contact(gql, workspace.token, name="Bruno Lima", customFields={"tipologia": "studio"})

    # when exported with a filter on a field and a custom field, and with a search
    by_filter = await rows(
        gql,
        workspace.token,
        "contacts",
        filter={"name": {"startsWith": "Ana"}, "customField": {"key": "tipologia", "eq": "studio"}},
    )
    by_search = await rows(gql, workspace.token, "contacts", search="lima")

    # then only the matching contacts are in the files
    assert [row["Nome"] for row in by_filter] == ["Ana Lima"]
    assert sorted(row["Nome"] for row in by_search) == ["Ana Lima", "Bruno Lima"]


async def test_an_agent_exports_only_the_contacts_they_see(gql, workspace):
    # given two agents with a contact each
    alice = await workspace.user("AGENT", name="Alice")
    bob = await workspace.user("AGENT", name="Bob")
    await create_contact(gql, workspace.token, name="Cliente da Alice", ownerId=alice["id"])
    await create_contact(gql, workspace.token, name="Cliente do Bob", ownerId=bob["id"])

    # when each agent, and the admin, export the contacts
    for_alice = await rows(gql, alice["token"], "contacts")
    for_bob = await rows(gql, bob["token"], "contacts")
    for_admin = await rows(gql, workspace.token, "contacts")

    # then each file holds what its reader sees
    assert [(row["Nome"], row["Responsável"]) for row in for_alice] == [("Cliente da Alice", "Alice")]
    assert [row["Nome"] for row in for_bob] == ["Cliente do Bob"]
    assert sorted(row["Nome"] for row in for_admin) == ["Cliente da Alice", "Cliente do Bob"]


async def test_an_api_key_exports_under_its_role_and_the_export_is_logged(gql, workspace):
    # given an AGENT key acting for an agent, and a contact of theirs and another
    agent = await workspace.user("AGENT", name="Carla")
    await create_contact(gql, workspace.token, name="Da Carla", ownerId=agent["id"])
    await create_contact(gql, workspace.token, name="Da casa")
    created = await gql.ok(
        CREATE_API_KEY,
        {"input": {"name": "Planilhas", "role": "AGENT", "userId": agent["id"]}},
        token=workspace.token,
    )
    secret = created["createApiKey"]["secret"]

    # when the key exports with a filter
    exported = await rows(gql, secret, "contacts", filter={"name": {"contains": "carla"}}, sep=";")

    # then it holds what the agent sees, and the log says who exported what, how
    assert [row["Nome"] for row in exported] == ["Da Carla"]
    [event] = await export_events(workspace.admin["id"])
    assert event["summary"] == "Exportou contatos em CSV"
    assert event["data"]["list"] == "contacts"
    assert event["data"]["filter"] == {"name": {"contains": "carla"}}
    assert event["data"]["separator"] == ";"
    assert event["data"]["apiKeyId"] is not None
    assert event["actor_user_id"] is not None


async def test_a_bad_filter_is_a_400_naming_where_and_nothing_is_logged(gql, workspace):
    cases = [
        ({"bogus": {"eq": 1}}, ["filter"]),
        ({"createdAt": {"gte": "ontem"}}, ["filter", "createdAt", "gte"]),
        ({"lifecycleStage": ["CLIENTE"]}, ["filter", "lifecycleStage", "0"]),
        ({"customField": {"key": "nao_existe", "eq": "x"}}, ["filter", "customField"]),
    ]
    for filter, field in cases:
        response = await export(gql, workspace.token, "contacts", filter=filter)
        assert response.status_code == 400, (filter, response.text)
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "INVALID", error
        assert error["extensions"]["field"][: len(field)] == field, error
    deep: dict = {"name": {"eq": "x"}}
    for _ in range(30):
        deep = {"and": [deep]}
    for raw in ("{not json", "[1, 2]", None):
        params = {"filter": raw} if raw is not None else {}
        if raw is None:
            response = await export(gql, workspace.token, "contacts", filter=deep)
        else:
            response = await gql.http.get(
                f"{gql.server.url}/export/contacts.csv",
                params=params,
                headers={"authorization": f"Bearer {workspace.token}"},
            )
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID"
    assert await export_events(workspace.admin["id"]) == []


async def test_without_a_valid_token_it_is_401_an_unknown_list_404_and_head_405(gql, workspace):
    await create_contact(gql, workspace.token, name="Ana Lima")
    for token in (None, "not-a-token"):
        response = await export(gql, token, "contacts")
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "Ana" not in response.text
    missing = await export(gql, workspace.token, "users")
    assert missing.status_code == 404
    head = await gql.http.head(
        f"{gql.server.url}/export/contacts.csv", headers={"authorization": f"Bearer {workspace.token}"}
    )
    assert head.status_code == 405
    assert await export_events(workspace.admin["id"]) == []


async def test_a_long_list_is_streamed_a_page_at_a_time(gql, server, workspace):
    # given more contacts than three pages
    page = server.settings.limits.max_page_size
    workspace_id = await workspace_of(workspace.admin["id"])
    total = page * 3 + 7
    await Contact.bulk_create(
        [
            Contact(workspace_id=workspace_id, name=f"Lead {i:04}", name_search=f"lead {i:04}")
            for i in range(total)
        ]
    )

    # when the file is read as it arrives
    chunks: list[bytes] = []
    async with gql.http.stream(
        "GET", f"{server.url}/export/contacts.csv", headers={"authorization": f"Bearer {workspace.token}"}
    ) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        async for chunk in response.aiter_raw():
            chunks.append(chunk)

    # then it came in pieces, none holding more than about a page, and whole
    assert len(chunks) >= 5, len(chunks)
    assert max(chunk.count(b"\r\n") for chunk in chunks) <= page
    exported = parse(b"".join(chunks).decode("utf-8"))
    assert len(exported) == total
    assert len({row["Nome"] for row in exported}) == total
