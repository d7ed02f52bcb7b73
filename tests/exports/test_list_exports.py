"""The other lists as CSV: companies, deals, conversations and tasks, each
with its own columns, filter and visibility (the rate limit:
tests/security/test_export_rate_limit.py)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.exports.support import export, rows
from tests.graph.custom_field_support import define
from tests.graph.documents import CREATE_TASK, create_company, create_contact
from tests.inbox.support import create_inbox, receive
from tests.pipeline.support import create_deal, create_pipeline

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
TASKS = """
query Tasks($filter: TaskFilter, $first: Int, $after: String) {
  tasks(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id title done } }
  }
}
"""


async def test_companies_with_their_custom_fields(gql, workspace):
    # given a company field and two companies
    await define(gql, workspace.token, entity="COMPANY", key="cnpj", label="CNPJ", type="TEXT")
    await create_company(
        gql,
        workspace.token,
        name="Acme Imóveis",
        domain="acme.com.br",
        customFields={"cnpj": "12.345.678/0001-90"},
    )
    await create_company(gql, workspace.token, name="Beta Construtora")

    # when exported, then by name, with the field as a column
    exported = await rows(gql, workspace.token, "companies")
    assert [(row["Nome"], row["Domínio"], row["CNPJ"]) for row in exported] == [
        ("Acme Imóveis", "acme.com.br", "12.345.678/0001-90"),
        ("Beta Construtora", "", ""),
    ]
    # and a filter on the custom field selects
    filtered = await rows(
        gql, workspace.token, "companies", filter={"customField": {"key": "cnpj", "isNull": False}}
    )
    assert [row["Nome"] for row in filtered] == ["Acme Imóveis"]


async def test_deals_with_stage_money_and_links_under_visibility(gql, workspace):
    # given a pipeline, a deal of an agent's contact and a deal of the house
    agent = await workspace.user("AGENT", name="Davi")
    pipeline = await create_pipeline(gql, workspace.token)
    contact = await create_contact(gql, workspace.token, name="Eva Prado", ownerId=agent["id"])
    await create_deal(
        gql,
        workspace.token,
        pipeline["id"],
        title="Apto 3 quartos",
        value="1250000.50",
        contactId=contact["id"],
        ownerId=agent["id"],
    )
    await create_deal(gql, workspace.token, pipeline["id"], title="Cobertura", value="3000000")

    # when the agent exports the deals with ";", and the admin filters by value
    mine = await rows(gql, agent["token"], "deals", sep=";")
    big = await rows(gql, workspace.token, "deals", filter={"value": {"gte": "2000000"}})

    # then the agent's file has only their deal, money with a decimal comma
    [row] = mine
    assert row["Título"] == "Apto 3 quartos"
    assert row["Funil"] == pipeline["name"]
    assert row["Etapa"] == "Novo lead"
    assert row["Situação"] == "Em andamento"
    assert row["Valor"] == "1250000,50"
    assert row["Moeda"] == "BRL"
    assert row["Contato"] == "Eva Prado"
    assert row["Responsável"] == "Davi"
    assert [row["Título"] for row in big] == ["Cobertura"]
    assert big[0]["Valor"] == "3000000.00"


async def test_conversations_in_pt_br_words(gql, workspace):
    # given a conversation opened by an inbound message
    inbox = await create_inbox(gql, workspace.token, name="Site")
    await receive(gql, workspace.token, inbox["id"], name="Maria Cliente")

    # when exported (all, and only the resolved ones)
    exported = await rows(gql, workspace.token, "conversations")
    resolved = await rows(gql, workspace.token, "conversations", filter={"status": ["RESOLVED"]})

    # then the row names the contact and the inbox, in the screens' words
    [row] = exported
    assert row["Contato"] == "Maria Cliente"
    assert row["Caixa de entrada"] == "Site"
    assert row["Situação"] == "Aberta"
    assert row["Prioridade"] == "Média"
    assert row["Última mensagem em"] != ""
    assert resolved == []


async def test_tasks_by_their_filter_in_graphql_and_in_the_file(gql, workspace):
    # given an agent's task on their contact and a task of the admin's
    agent = await workspace.user("AGENT", name="Fábio")
    contact = await create_contact(gql, workspace.token, name="Gil Souza", ownerId=agent["id"])
    due = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    await gql.ok(
        CREATE_TASK,
        {"input": {"title": "Ligar para o Gil", "contactId": contact["id"], "dueAt": due.isoformat()}},
        token=agent["token"],
    )
    await gql.ok(CREATE_TASK, {"input": {"title": "Revisar metas"}}, token=workspace.token)

    # when the agent lists and exports their tasks, and the admin filters by due date
    listed = await gql.ok(TASKS, {"filter": {"done": False}}, token=agent["token"])
    mine = await rows(gql, agent["token"], "tasks")
    due_soon = await rows(
        gql, workspace.token, "tasks", filter={"dueAt": {"lte": (due + timedelta(days=1)).isoformat()}}
    )

    # then each sees what they may see
    assert [edge["node"]["title"] for edge in listed["tasks"]["edges"]] == ["Ligar para o Gil"]
    assert listed["tasks"]["totalCount"] == 1
    [row] = mine
    assert row["Título"] == "Ligar para o Gil"
    assert row["Concluída"] == "Não"
    assert row["Responsável"] == "Fábio"
    assert row["Contato"] == "Gil Souza"
    assert row["Vencimento"] == due.astimezone(SAO_PAULO).strftime("%d/%m/%Y %H:%M")
    assert [row["Título"] for row in due_soon] == ["Ligar para o Gil"]
    # and a bad task filter is refused in both
    refused = await gql(TASKS, {"filter": {"done": "talvez"}}, token=agent["token"])
    assert refused["errors"]
    response = await export(gql, agent["token"], "tasks", filter={"done": "talvez"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "INVALID", "field": ["filter", "done"]}


async def test_deals_with_their_custom_fields_as_columns(gql, workspace):
    # given deal fields of several types (and a contact field, not the deals')
    await define(gql, workspace.token, entity="DEAL", key="comissao", label="Comissão", type="DECIMAL")
    await define(gql, workspace.token, entity="DEAL", key="assinatura", label="Assinatura", type="DATE")
    await define(gql, workspace.token, entity="DEAL", key="financiado", label="Financiado", type="BOOLEAN")
    await define(
        gql,
        workspace.token,
        entity="DEAL",
        key="canal",
        label="Canal",
        type="SELECT",
        options=[{"key": "plantao", "label": "Plantão"}, {"key": "site", "label": "Site"}],
    )
    await define(gql, workspace.token, key="bairro", label="Bairro de interesse", type="TEXT")
    pipeline = await create_pipeline(gql, workspace.token)
    await create_deal(
        gql,
        workspace.token,
        pipeline["id"],
        title="Apto 3 quartos",
        customFields={
            "comissao": "37500,5",
            "assinatura": "15/01/2027",
            "financiado": "sim",
            "canal": "plantao",
        },
    )
    await create_deal(gql, workspace.token, pipeline["id"], title="Cobertura")

    # when exported for Excel in Portuguese
    exported = await rows(gql, workspace.token, "deals", sep=";")

    # then each deal field is a column after the deal's own, in the order defined
    assert list(exported[0])[-4:] == ["Comissão", "Assinatura", "Financiado", "Canal"]
    assert "Bairro de interesse" not in exported[0]
    by_title = {row["Título"]: row for row in exported}
    filled, empty = by_title["Apto 3 quartos"], by_title["Cobertura"]
    # as people read them: decimal comma, pt-BR date, Sim/Não, the option's label
    assert [filled[h] for h in ("Comissão", "Assinatura", "Financiado", "Canal")] == [
        "37500,5",
        "15/01/2027",
        "Sim",
        "Plantão",
    ]
    assert [empty[h] for h in ("Comissão", "Assinatura", "Financiado", "Canal")] == ["", "", "", ""]
