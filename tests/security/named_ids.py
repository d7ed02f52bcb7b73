"""A workspace with records some callers may not see, the mutation
documents that name them, and a snapshot of every row, for the tests of ids
named by inputs (test_named_ids.py).

Workspace W: manager M runs team T with agent `me`; agent `other` is in
team U, outside M's scope. `me` and `other` each own a contact, a company
and a deal in the same column of pipeline P; `other` also has a task, a
notification and a trashed contact, company and deal. The admin has a
queue, a form, a rule with a failed run, an API key, a development and a
custom field. Workspace X (the outsider) has its own pipeline, records,
queue, rule, form and development."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tortoise import Tortoise, connections

from revgraph.models.automation import AutomationRun, Notification
from revgraph.models.identity import User
from revgraph.resolvers.ids import decode_id, encode_id
from tests.conftest import worker_idle
from tests.distribution.support import create_queue
from tests.graph.documents import create_company, create_contact
from tests.imports.support import csv_bytes, uploaded
from tests.pipeline.support import create_deal, create_pipeline
from tests.support import GraphQLClient, Workspace
from tests.webhooks.support import quiet_endpoint_with_a_delivery

# Columns that move without anyone changing a record: presence, API-key
# use, the outbox's dispatched flag.
VOLATILE = frozenset({"last_seen_at", "last_used_at", "dispatched"})

SIGNATURES = {
    "createUser": "input: CreateUserInput!",
    "createTeam": "input: CreateTeamInput!",
    "updateTeam": "id: ID!, input: UpdateTeamInput!",
    "createApiKey": "input: CreateApiKeyInput!",
    "revokeApiKey": "id: ID!",
    "createInvitation": "input: CreateInvitationInput!",
    "revokeInvitation": "id: ID!",
    "createContact": "input: ContactInput!",
    "updateContact": "id: ID!, input: ContactUpdateInput!",
    "deleteContact": "id: ID!",
    "restoreContact": "id: ID!",
    "mergeContacts": "primaryId: ID!, duplicateId: ID!",
    "createCompany": "input: CompanyInput!",
    "updateCompany": "id: ID!, input: CompanyUpdateInput!",
    "deleteCompany": "id: ID!",
    "restoreCompany": "id: ID!",
    "addNote": "input: NoteInput!",
    "createTask": "input: TaskInput!",
    "completeTask": "id: ID!",
    "updateTask": "id: ID!, input: TaskUpdateInput!",
    "reopenTask": "id: ID!",
    "updateStage": "id: ID!, input: StageUpdateInput!",
    "addStage": "pipelineId: ID!, input: StageInput!",
    "reorderStages": "pipelineId: ID!, stageIds: [ID!]!",
    "archiveStage": "id: ID!, moveDealsTo: ID",
    "createDeal": "input: DealInput!",
    "updateDeal": "id: ID!, input: DealUpdateInput!",
    "moveDeal": "input: MoveDealInput!",
    "deleteDeal": "id: ID!",
    "restoreDeal": "id: ID!",
    "createAutomationRule": "input: AutomationRuleInput!",
    "updateAutomationRule": "id: ID!, input: AutomationRuleInput!",
    "setAutomationRuleEnabled": "id: ID!, enabled: Boolean!",
    "deleteAutomationRule": "id: ID!",
    "retryAutomationRun": "id: ID!",
    "markNotificationRead": "id: ID!",
    "createQueue": "input: QueueInput!",
    "setQueueMember": "queueId: ID!, input: QueueMemberInput!",
    "removeQueueMember": "queueId: ID!, userId: ID!",
    "updateQueue": "id: ID!, input: QueueUpdateInput!",
    "archiveQueue": "id: ID!",
    "updateSegment": "id: ID!, input: SegmentUpdateInput!",
    "archiveSegment": "id: ID!",
    "distributeSegment": "segmentId: ID!, queueId: ID!",
    "distribute": "input: DistributeInput!",
    "reassign": "userId: ID!, contactId: ID, dealId: ID",
    "disqualifyLead": "contactId: ID!, reason: String!",
    "captureLead": "input: CaptureLeadInput!",
    "createForm": "input: FormInput!",
    "updateForm": "id: ID!, input: UpdateFormInput!",
    "archiveForm": "id: ID!",
    "createDevelopment": "input: DevelopmentInput!",
    "updateDevelopment": "id: ID!, input: DevelopmentUpdateInput!",
    "archiveDevelopment": "id: ID!",
    "unarchiveDevelopment": "id: ID!",
    "setContactInterests": "contactId: ID!, developmentIds: [ID!]!",
    "addContactInterest": "contactId: ID!, developmentId: ID!",
    "removeContactInterest": "contactId: ID!, developmentId: ID!",
    "updateCustomFieldDefinition": "id: ID!, input: CustomFieldDefinitionUpdateInput!",
    "archiveCustomFieldDefinition": "id: ID!",
    "restoreCustomFieldDefinition": "id: ID!",
    "updateUser": "id: ID!, input: UpdateUserInput!",
    "createPasswordResetLink": "userId: ID!",
    "deactivateUser": "id: ID!, leadsGoTo: LeadsDestination!",
    "reactivateUser": "id: ID!",
    "createInbox": "input: InboxInput!",
    "updateInbox": "id: ID!, input: InboxUpdateInput!",
    "upsertMessageTemplate": "inboxId: ID!, input: MessageTemplateInput!",
    "setInboxFlow": "inboxId: ID!, input: BotFlowInput!",
    "removeInboxFlow": "inboxId: ID!",
    "receiveMessage": "input: ReceiveMessageInput!",
    "sendMessage": "input: SendMessageInput!",
    "sendTemplate": "input: SendTemplateInput!",
    "updateConversation": "id: ID!, input: ConversationUpdateInput!",
    "assignConversation": "id: ID!, userId: ID",
    "transferConversation": "input: TransferConversationInput!",
    "handOffToHuman": "id: ID!",
    "resolveConversation": "id: ID!",
    "reopenConversation": "id: ID!",
    "snoozeConversation": "id: ID!, until: DateTime!",
    "recordConsent": "input: RecordConsentInput!",
    "updateWebhookEndpoint": "id: ID!, input: WebhookEndpointUpdateInput!",
    "rotateWebhookSecret": "id: ID!",
    "deleteWebhookEndpoint": "id: ID!",
    "redeliverWebhook": "deliveryId: ID!",
    "mapImportColumns": "input: MapImportColumnsInput!",
    "startImportDryRun": "importJobId: ID!",
    "startImport": "importJobId: ID!",
    "exportContactData": "id: ID!, reason: String!",
    "eraseContact": "id: ID!, reason: String!",
    "configureRdStationIntake": "input: RdStationIntakeInput!",
    "createPartnerHandoffRule": "input: PartnerHandoffRuleInput!",
    "deletePartnerHandoffRule": "id: ID!",
    "updateDealFromPartner": "input: UpdateDealFromPartnerInput!",
}


def _document(name: str, signature: str) -> str:
    arguments = [part.split(":")[0].strip() for part in signature.split(",")]
    variables = ", ".join(f"${part.strip()}" for part in signature.split(","))
    call = ", ".join(f"{a}: ${a}" for a in arguments)
    return f"mutation({variables}) {{ {name}({call}) {{ userErrors {{ code message field }} }} }}"


# Each mutation asking only for its userErrors: a refused call's whole answer.
MUTATIONS = {name: _document(name, signature) for name, signature in SIGNATURES.items()}

CREATE_PARTNER_RULE = """
mutation($input: PartnerHandoffRuleInput!) { createPartnerHandoffRule(input: $input) { rule { id } userErrors { code } } }
"""
CREATE_RULE = """
mutation($input: AutomationRuleInput!) { createAutomationRule(input: $input) { rule { id } userErrors { code } } }
"""
CREATE_SEGMENT = (
    "mutation($input: SegmentInput!) { createSegment(input: $input) { segment { id } userErrors { code } } }"
)
CREATE_FORM = "mutation($input: FormInput!) { createForm(input: $input) { form { id } userErrors { code } } }"
CREATE_INVITATION = """
mutation($input: CreateInvitationInput!) {
  createInvitation(input: $input) { invitation { id } userErrors { code } }
}
"""
CREATE_API_KEY = """
mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } userErrors { code } } }
"""
DELETE = {
    kind: f"mutation($id: ID!) {{ delete{kind}(id: $id) {{ deletedId userErrors {{ code }} }} }}"
    for kind in ("Contact", "Company", "Deal")
}
CREATE_TASK = "mutation($input: TaskInput!) { createTask(input: $input) { task { id } userErrors { code } } }"
CREATE_DEVELOPMENT = """
mutation($input: DevelopmentInput!) { createDevelopment(input: $input) { development { id } userErrors { code } } }
"""
CREATE_CUSTOM_FIELD = """
mutation($input: CustomFieldDefinitionInput!) {
  createCustomFieldDefinition(input: $input) { definition { id } userErrors { code } }
}
"""
CREATE_SLA_POLICY = """
mutation($input: SlaPolicyInput!) { createSlaPolicy(input: $input) { slaPolicy { id } userErrors { code } } }
"""
CREATE_INBOX = (
    "mutation($input: InboxInput!) { createInbox(input: $input) { inbox { id } userErrors { code } } }"
)
SLA_POLICY = {"name": "Padrão", "firstResponseMinutes": 30, "businessHoursOnly": False}
# A rule nothing in these tests triggers (no note is ever added).
QUIET_RULE = {"name": "Nota", "trigger": {"kind": "NOTE_ADDED"}, "actions": [{"addTag": {"tag": "nota"}}]}


@dataclass
class World:
    # Records of W that some callers may not see, by kind.
    theirs: dict[str, str]
    # Per caller: its token and records it may see and act on.
    mine: dict[str, dict[str, Any]]


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


async def _created(
    gql: GraphQLClient, document: str, name: str, key: str, token: str, **variables: Any
) -> str:
    payload = (await gql.ok(document, variables, token=token))[name]
    assert payload["userErrors"] == [], payload
    return str(payload[key]["id"])


async def _trashed(gql: GraphQLClient, kind: str, global_id: str, token: str) -> str:
    payload = (await gql.ok(DELETE[kind], {"id": global_id}, token=token))[f"delete{kind}"]
    assert payload["userErrors"] == [], payload
    return global_id


async def _records(gql: GraphQLClient, token: str, pipeline: dict[str, Any], label: str) -> dict[str, str]:
    """A contact, a company and a deal on the first column, owned by the caller."""
    contact = await create_contact(gql, token, name=f"Cliente {label}", email=f"{label}@cliente.com")
    company = await create_company(gql, token, name=f"Empresa {label}")
    deal = await create_deal(gql, token, pipeline["id"], title=f"Negócio {label}")
    return {"contact": contact["id"], "company": company["id"], "deal": deal["id"]}


RECEIVE = """
mutation($input: ReceiveMessageInput!) {
  receiveMessage(input: $input) { conversation { id } userErrors { code } }
}
"""
ASSIGN = """
mutation($id: ID!, $userId: ID) { assignConversation(id: $id, userId: $userId) { userErrors { code } } }
"""


async def _conversation(gql: GraphQLClient, token: str, inbox: str, phone: str, assignee: str | None) -> str:
    """A conversation opened in `inbox` by a message from `phone`, given to `assignee`."""
    message = {"inboxId": inbox, "from": {"phone": phone}, "body": "Oi", "externalId": phone}
    conversation = await _created(gql, RECEIVE, "receiveMessage", "conversation", token, input=message)
    if assignee is not None:
        assigned = (await gql.ok(ASSIGN, {"id": conversation, "userId": assignee}, token=token))[
            "assignConversation"
        ]
        assert assigned["userErrors"] == [], assigned
    return conversation


async def build_world(gql: GraphQLClient, workspace: Workspace, outsider: Workspace) -> World:
    admin = workspace.token
    manager = await workspace.user("MANAGER", name="M")
    team_t = await workspace.team("T", manager_id=manager["id"])
    team_u = await workspace.team("U")
    me = await workspace.user("AGENT", team_id=team_t["id"], name="me")
    other = await workspace.user("AGENT", team_id=team_u["id"], name="other")
    pipeline = await create_pipeline(gql, admin)
    queue = await create_queue(gql, admin, [{"userId": me["id"]}])
    mine = await _records(gql, me["token"], pipeline, "me")
    theirs = await _records(gql, other["token"], pipeline, "other")
    spare = await _records(gql, other["token"], pipeline, "other-trashed")
    token = other["token"]
    theirs |= {
        "task": await _created(
            gql,
            CREATE_TASK,
            "createTask",
            "task",
            token,
            input={"title": "Ligar", "contactId": theirs["contact"]},
        ),
        "trashed_contact": await _trashed(gql, "Contact", spare["contact"], token),
        "trashed_company": await _trashed(gql, "Company", spare["company"], token),
        "trashed_deal": await _trashed(gql, "Deal", spare["deal"], token),
        "user": other["id"],
        "team": team_u["id"],
        "pipeline": pipeline["id"],
        "stage": pipeline["stage"]["Em contato"],
        "queue": queue["id"],
        "form": await _created(gql, CREATE_FORM, "createForm", "form", admin, input={"name": "Site"}),
        "rule": await _created(gql, CREATE_RULE, "createAutomationRule", "rule", admin, input=QUIET_RULE),
        "segment": await _created(
            gql, CREATE_SEGMENT, "createSegment", "segment", admin, input={"name": "Lista"}
        ),
        "development": await _created(
            gql,
            CREATE_DEVELOPMENT,
            "createDevelopment",
            "development",
            admin,
            input={"name": "Reserva Ipê", "status": "LAUNCH"},
        ),
        "custom_field": await _created(
            gql,
            CREATE_CUSTOM_FIELD,
            "createCustomFieldDefinition",
            "definition",
            admin,
            input={"entity": "CONTACT", "key": "renda", "label": "Renda", "type": "NUMBER"},
        ),
        "api_key": await _created(
            gql, CREATE_API_KEY, "createApiKey", "apiKey", admin, input={"name": "Parceiro", "role": "AGENT"}
        ),
        "invitation": await _created(
            gql,
            CREATE_INVITATION,
            "createInvitation",
            "invitation",
            admin,
            input={"email": "convidada@example.com", "role": "AGENT"},
        ),
        "inbox": await _created(
            gql, CREATE_INBOX, "createInbox", "inbox", admin, input={"name": "Chat", "channel": "WEBCHAT"}
        ),
        "sla_policy": await _created(
            gql, CREATE_SLA_POLICY, "createSlaPolicy", "slaPolicy", admin, input=SLA_POLICY
        ),
    }
    # Conversations: one of `other` (in an inbox without a queue, so only
    # its assignee's scope sees it) and one of `me`.
    theirs["conversation"] = await _conversation(gql, admin, theirs["inbox"], "+5511955550001", other["id"])
    theirs |= await quiet_endpoint_with_a_delivery(gql, admin)
    theirs["import_job"] = (await uploaded(gql, admin, csv_bytes([["Ana", "ana@example.com", "", ""]])))["id"]
    theirs["partner_rule"] = await _created(
        gql,
        CREATE_PARTNER_RULE,
        "createPartnerHandoffRule",
        "rule",
        admin,
        input={"name": "VIMOB", "stageId": theirs["stage"], "endpointId": theirs["webhook_endpoint"]},
    )
    mine["conversation"] = await _conversation(gql, admin, theirs["inbox"], "+5511955550002", me["id"])
    # A failed run and a notification, as the automation engine leaves them.
    w_pk = (await User.get(id=pk(other["id"]))).workspace_id
    run = await AutomationRun.create(
        workspace_id=w_pk,
        rule_id=pk(theirs["rule"]),
        event_id=1,
        event_kind="note.added",
        status="FAILED",
        error="SMTP down",
    )
    notification = await Notification.create(workspace_id=w_pk, user_id=pk(other["id"]), message="Oi")
    theirs |= {
        "run": encode_id("AutomationRun", run.id),
        "notification": encode_id("Notification", notification.id),
    }
    in_w = {
        **mine,
        "pipeline": pipeline["id"],
        "column": pipeline["stage"]["Novo lead"],
        "queue": queue["id"],
        "development": theirs["development"],
        "task": await _created(
            gql,
            CREATE_TASK,
            "createTask",
            "task",
            me["token"],
            input={"title": "Ligar", "contactId": mine["contact"]},
        ),
    }
    x_pipeline = await create_pipeline(gql, outsider.token)
    x_queue = await create_queue(gql, outsider.token, [{"userId": outsider.admin["id"]}])
    outside = {
        **await _records(gql, outsider.token, x_pipeline, "x"),
        "token": outsider.token,
        "user": outsider.admin["id"],
        "pipeline": x_pipeline["id"],
        "column": x_pipeline["stage"]["Novo lead"],
        "stages": [s["id"] for s in x_pipeline["stages"]],
        "queue": x_queue["id"],
        "form": await _created(
            gql, CREATE_FORM, "createForm", "form", outsider.token, input={"name": "Site"}
        ),
        "rule": await _created(
            gql, CREATE_RULE, "createAutomationRule", "rule", outsider.token, input=QUIET_RULE
        ),
        "segment": await _created(
            gql, CREATE_SEGMENT, "createSegment", "segment", outsider.token, input={"name": "Lista"}
        ),
        "development": await _created(
            gql,
            CREATE_DEVELOPMENT,
            "createDevelopment",
            "development",
            outsider.token,
            input={"name": "Mar Azul", "status": "READY"},
        ),
        "inbox": await _created(
            gql,
            CREATE_INBOX,
            "createInbox",
            "inbox",
            outsider.token,
            input={"name": "Chat", "channel": "WEBCHAT"},
        ),
    }
    outside["task"] = await _created(
        gql,
        CREATE_TASK,
        "createTask",
        "task",
        outsider.token,
        input={"title": "Ligar", "contactId": outside["contact"]},
    )
    outside["team"] = (await outsider.team("Equipe X"))["id"]
    outside["conversation"] = await _conversation(
        gql, outsider.token, outside["inbox"], "+5511955550003", None
    )
    return World(
        theirs=theirs,
        mine={
            "agent": {**in_w, "token": me["token"], "user": me["id"]},
            "manager": {**in_w, "token": manager["token"], "user": me["id"]},
            "outsider": outside,
        },
    )


async def settled() -> None:
    """Wait for the background work of what was done so far (automations,
    queue drains), so that a snapshot taken now stays put."""
    from revgraph.tasks.broker import EmbeddedBroker, broker

    if isinstance(broker, EmbeddedBroker):
        await broker.join_all(timeout=30)
    else:
        await worker_idle()


async def every_row() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (both workspaces), volatile columns left out.
    The columns as stored, read with plain SELECTs: the test takes hundreds
    of snapshots, and building each through the ORM's querysets cost most
    of their time; a stored value that changes is still a different value
    here. On SQLite one SELECT per table (a statement is a function call);
    on PostgreSQL one statement for all of them, each table's rows as one
    JSON array (PostgreSQL's JSON of a value changes when the value does):
    one round trip per snapshot instead of one per table."""
    conn = connections.get("default")
    tables = {}
    for name, model in sorted(Tortoise.apps["models"].items()):
        meta = model._meta
        tables[name] = (meta.db_table, meta.fields_db_projection[meta.pk_attr])
    if conn.capabilities.dialect == "postgres":
        columns = ", ".join(
            f'(SELECT coalesce(json_agg(t ORDER BY t."{pk}"), \'[]\') FROM "{table}" t) AS "{name}"'
            for name, (table, pk) in tables.items()
        )
        [snapshot] = await conn.execute_query_dict(f"SELECT {columns}")
        found = {name: json.loads(snapshot[name]) for name in tables}
    else:
        found = {
            name: await conn.execute_query_dict(f'SELECT * FROM "{table}" ORDER BY "{pk}"')
            for name, (table, pk) in tables.items()
        }
    return {
        name: [{k: v for k, v in row.items() if k not in VOLATILE} for row in values]
        for name, values in found.items()
    }
