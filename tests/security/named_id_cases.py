"""The table of id inputs for test_named_ids.py: for each mutation input
of type ID, a call that reaches it, the kind of record it is tried with,
and where the refusal must point. Grouped by who may not see the record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.security.named_ids import QUIET_RULE
from tests.support import PASSWORD


@dataclass(frozen=True)
class Case:
    """One id input of one mutation: `variables` builds a call that reaches
    it with the given id, `hidden` names the record of World.theirs it is
    tried with, `field` is where the refusal points."""

    mutation: str
    path: str
    hidden: str
    variables: Callable[[dict[str, Any], str], dict[str, Any]]
    field: tuple[str, ...] = ()
    code: str = "NOT_FOUND"

    @property
    def name(self) -> str:
        return f"{self.mutation}({self.path})"

    @property
    def expected_field(self) -> list[str]:
        return list(self.field or self.path.split("."))


def by_id(mine: dict[str, Any], named: str) -> dict[str, Any]:
    return {"id": named}


LEAD = {"name": "Lead", "email": "lead@example.com", "source": "api"}
TAG = {"addTag": {"tag": "x"}}


def hand_off_flow(queue_id: str | None) -> dict[str, Any]:
    """A one-node bot flow handing off through `queue_id`."""
    return {"start": "a", "nodes": [{"id": "a", "kind": "HANDOFF", "reason": "Teste", "queueId": queue_id}]}


# Records another agent owns: the agent `me`, manager M (whose teams do not
# include that agent) and another workspace may not name them.
OWNED = [
    Case("updateContact", "id", "contact", lambda m, h: {"id": h, "input": {"name": "Mudado"}}),
    Case(
        "updateContact",
        "input.companyId",
        "company",
        lambda m, h: {"id": m["contact"], "input": {"companyId": h}},
    ),
    Case(
        "createContact",
        "input.companyId",
        "company",
        lambda m, h: {"input": {"name": "Nova", "companyId": h}},
    ),
    Case("deleteContact", "id", "contact", by_id),
    Case("restoreContact", "id", "trashed_contact", by_id),
    Case("mergeContacts", "primaryId", "contact", lambda m, h: {"primaryId": h, "duplicateId": m["contact"]}),
    Case(
        "mergeContacts", "duplicateId", "contact", lambda m, h: {"primaryId": m["contact"], "duplicateId": h}
    ),
    Case("updateCompany", "id", "company", lambda m, h: {"id": h, "input": {"name": "Mudada"}}),
    Case("deleteCompany", "id", "company", by_id),
    Case("restoreCompany", "id", "trashed_company", by_id),
    Case("addNote", "input.subjectId", "contact", lambda m, h: {"input": {"subjectId": h, "body": "Oi"}}),
    Case("addNote", "input.subjectId", "deal", lambda m, h: {"input": {"subjectId": h, "body": "Oi"}}),
    Case(
        "createTask", "input.contactId", "contact", lambda m, h: {"input": {"title": "Ligar", "contactId": h}}
    ),
    Case("createTask", "input.dealId", "deal", lambda m, h: {"input": {"title": "Ligar", "dealId": h}}),
    Case(
        "updateDealFromPartner",
        "input.dealId",
        "deal",
        lambda m, h: {"input": {"dealId": h, "status": "Visita", "partner": "VIMOB"}},
    ),
    Case(
        "recordConsent",
        "input.contactId",
        "contact",
        lambda m, h: {
            "input": {"contactId": h, "channel": "WHATSAPP", "granted": False, "source": "telefone"}
        },
    ),
    Case("completeTask", "id", "task", by_id),
    Case("updateTask", "id", "task", lambda m, h: {"id": h, "input": {"title": "Mudada"}}),
    Case("reopenTask", "id", "task", by_id),
    Case(
        "createDeal",
        "input.contactId",
        "contact",
        lambda m, h: {"input": {"title": "Novo", "pipelineId": m["pipeline"], "contactId": h}},
    ),
    Case(
        "createDeal",
        "input.companyId",
        "company",
        lambda m, h: {"input": {"title": "Novo", "pipelineId": m["pipeline"], "companyId": h}},
    ),
    Case("updateDeal", "id", "deal", lambda m, h: {"id": h, "input": {"title": "Mudado"}}),
    Case(
        "updateDeal", "input.contactId", "contact", lambda m, h: {"id": m["deal"], "input": {"contactId": h}}
    ),
    Case(
        "updateDeal", "input.companyId", "company", lambda m, h: {"id": m["deal"], "input": {"companyId": h}}
    ),
    Case("moveDeal", "input.dealId", "deal", lambda m, h: {"input": {"dealId": h, "stageId": m["column"]}}),
    Case(
        "moveDeal",
        "input.afterDealId",
        "deal",
        lambda m, h: {"input": {"dealId": m["deal"], "stageId": m["column"], "afterDealId": h}},
    ),
    Case(
        "moveDeal",
        "input.patch.contactId",
        "contact",
        lambda m, h: {"input": {"dealId": m["deal"], "stageId": m["column"], "patch": {"contactId": h}}},
    ),
    Case(
        "moveDeal",
        "input.patch.companyId",
        "company",
        lambda m, h: {"input": {"dealId": m["deal"], "stageId": m["column"], "patch": {"companyId": h}}},
    ),
    Case("deleteDeal", "id", "deal", by_id),
    Case("restoreDeal", "id", "trashed_deal", by_id),
    Case(
        "distribute",
        "input.contactId",
        "contact",
        lambda m, h: {"input": {"queueId": m["queue"], "contactId": h}},
    ),
    Case("distribute", "input.dealId", "deal", lambda m, h: {"input": {"queueId": m["queue"], "dealId": h}}),
    Case("reassign", "contactId", "contact", lambda m, h: {"userId": m["user"], "contactId": h}),
    Case("reassign", "dealId", "deal", lambda m, h: {"userId": m["user"], "dealId": h}),
    Case("disqualifyLead", "contactId", "contact", lambda m, h: {"contactId": h, "reason": "Spam"}),
    Case("markNotificationRead", "id", "notification", by_id),
    Case(
        "setContactInterests",
        "contactId",
        "contact",
        lambda m, h: {"contactId": h, "developmentIds": [m["development"]]},
    ),
    Case(
        "addContactInterest",
        "contactId",
        "contact",
        lambda m, h: {"contactId": h, "developmentId": m["development"]},
    ),
    Case(
        "removeContactInterest",
        "contactId",
        "contact",
        lambda m, h: {"contactId": h, "developmentId": m["development"]},
    ),
    # Conversations: another agent's, and ids beside one's own.
    Case("updateConversation", "id", "conversation", lambda m, h: {"id": h, "input": {"priority": "HIGH"}}),
    Case(
        "updateConversation",
        "input.dealId",
        "deal",
        lambda m, h: {"id": m["conversation"], "input": {"dealId": h}},
    ),
    Case("assignConversation", "id", "conversation", lambda m, h: {"id": h, "userId": m["user"]}),
    Case(
        "transferConversation",
        "input.conversationId",
        "conversation",
        lambda m, h: {"input": {"conversationId": h, "userId": m["user"]}},
    ),
    Case("handOffToHuman", "id", "conversation", by_id),
    Case("resolveConversation", "id", "conversation", by_id),
    Case("reopenConversation", "id", "conversation", by_id),
    Case("snoozeConversation", "id", "conversation", lambda m, h: {"id": h, "until": "2099-01-01T00:00:00Z"}),
    Case(
        "sendMessage",
        "input.conversationId",
        "conversation",
        lambda m, h: {"input": {"conversationId": h, "body": "Oi", "kind": "NOTE"}},
    ),
    Case(
        "sendTemplate",
        "input.conversationId",
        "conversation",
        lambda m, h: {"input": {"conversationId": h, "templateName": "visita", "language": "pt_BR"}},
    ),
]

# A user outside the caller's teams (or workspace) cannot be given records.
# (An agent may only name themselves: naming a colleague, whom the users
# query lists, is FORBIDDEN, so agents are not in this table.)
USERS = [
    Case("createContact", "input.ownerId", "user", lambda m, h: {"input": {"name": "Nova", "ownerId": h}}),
    Case(
        "updateContact", "input.ownerId", "user", lambda m, h: {"id": m["contact"], "input": {"ownerId": h}}
    ),
    Case("createCompany", "input.ownerId", "user", lambda m, h: {"input": {"name": "Nova", "ownerId": h}}),
    Case(
        "updateCompany", "input.ownerId", "user", lambda m, h: {"id": m["company"], "input": {"ownerId": h}}
    ),
    Case(
        "createDeal",
        "input.ownerId",
        "user",
        lambda m, h: {"input": {"title": "Novo", "pipelineId": m["pipeline"], "ownerId": h}},
    ),
    Case("updateDeal", "input.ownerId", "user", lambda m, h: {"id": m["deal"], "input": {"ownerId": h}}),
    Case(
        "moveDeal",
        "input.patch.ownerId",
        "user",
        lambda m, h: {"input": {"dealId": m["deal"], "stageId": m["column"], "patch": {"ownerId": h}}},
    ),
    Case(
        "createTask", "input.assigneeId", "user", lambda m, h: {"input": {"title": "Ligar", "assigneeId": h}}
    ),
    Case(
        "updateTask", "input.assigneeId", "user", lambda m, h: {"id": m["task"], "input": {"assigneeId": h}}
    ),
    Case("reassign", "userId", "user", lambda m, h: {"userId": h, "contactId": m["contact"]}),
    Case("assignConversation", "userId", "user", lambda m, h: {"id": m["conversation"], "userId": h}),
]

# Ids inside a rule's definition, by where they sit, with the trigger they need.
RULE_IDS: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "trigger.fromStageId": (
        "stage",
        lambda h: {"trigger": {"kind": "DEAL_STAGE_CHANGED", "fromStageId": h}, "actions": [TAG]},
    ),
    "trigger.toStageId": (
        "stage",
        lambda h: {"trigger": {"kind": "DEAL_STAGE_CHANGED", "toStageId": h}, "actions": [TAG]},
    ),
    "actions.createTask.userId": (
        "user",
        lambda h: {"actions": [{"createTask": {"title": "Ligar", "assignTo": "USER", "userId": h}}]},
    ),
    "actions.moveDeal.stageId": ("stage", lambda h: {"actions": [{"moveDeal": {"stageId": h}}]}),
    "actions.distribute.queueId": ("queue", lambda h: {"actions": [{"distribute": {"queueId": h}}]}),
    "actions.assign.userId": ("user", lambda h: {"actions": [{"assign": {"userId": h}}]}),
    "actions.notify.userId": (
        "user",
        lambda h: {"actions": [{"notify": {"to": "USER", "userId": h, "message": "Oi"}}]},
    ),
    **{
        f"actions.{action}.{key}": (
            hidden,
            lambda h, action=action, key=key: {
                "trigger": {"kind": "CONVERSATION_CREATED"},
                "actions": [{action: {key: h}}],
            },
        )
        for action in ("assignConversation", "transferConversation")
        for key, hidden in (("userId", "user"), ("queueId", "queue"))
    },
}


def rule(definition: Callable[[str], dict[str, Any]], named: str) -> dict[str, Any]:
    return {"name": "Nova", "trigger": {"kind": "DEAL_CREATED"}, **definition(named)}


def rule_field(path: str) -> tuple[str, ...]:
    head, *rest = path.split(".")
    return ("input", head, "0", *rest) if head == "actions" else ("input", head, *rest)


RULES = [
    case
    for path, (hidden, definition) in RULE_IDS.items()
    for case in (
        Case(
            "createAutomationRule",
            f"input.{path}",
            hidden,
            lambda m, h, definition=definition: {"input": rule(definition, h)},
            rule_field(path),
        ),
        Case(
            "updateAutomationRule",
            f"input.{path}",
            hidden,
            lambda m, h, definition=definition: {"id": m["rule"], "input": rule(definition, h)},
            rule_field(path),
        ),
    )
]

# The workspace's setup: only another workspace cannot name it.
SETUP = [
    *RULES,
    Case(
        "createDeal",
        "input.pipelineId",
        "pipeline",
        lambda m, h: {"input": {"title": "Novo", "pipelineId": h}},
    ),
    Case(
        "createDeal",
        "input.stageId",
        "stage",
        lambda m, h: {"input": {"title": "Novo", "pipelineId": m["pipeline"], "stageId": h}},
    ),
    Case("moveDeal", "input.stageId", "stage", lambda m, h: {"input": {"dealId": m["deal"], "stageId": h}}),
    Case("updateStage", "id", "stage", lambda m, h: {"id": h, "input": {"name": "Nova"}}),
    Case("addStage", "pipelineId", "pipeline", lambda m, h: {"pipelineId": h, "input": {"name": "Nova"}}),
    Case("reorderStages", "pipelineId", "pipeline", lambda m, h: {"pipelineId": h, "stageIds": m["stages"]}),
    Case(
        "reorderStages",
        "stageIds",
        "stage",
        lambda m, h: {"pipelineId": m["pipeline"], "stageIds": [h, *m["stages"][1:]]},
        code="INVALID",
    ),
    Case("archiveStage", "id", "stage", lambda m, h: {"id": h}),
    Case("archiveStage", "moveDealsTo", "stage", lambda m, h: {"id": m["column"], "moveDealsTo": h}),
    Case(
        "createQueue",
        "input.members.userId",
        "user",
        lambda m, h: {
            "input": {
                "name": "Nova",
                "mode": "OFFLINE",
                "strategy": "ROUND_ROBIN",
                "members": [{"userId": h}],
            }
        },
        ("input", "members", "0", "userId"),
    ),
    Case("setQueueMember", "queueId", "queue", lambda m, h: {"queueId": h, "input": {"userId": m["user"]}}),
    Case(
        "setQueueMember", "input.userId", "user", lambda m, h: {"queueId": m["queue"], "input": {"userId": h}}
    ),
    Case("removeQueueMember", "queueId", "queue", lambda m, h: {"queueId": h, "userId": m["user"]}),
    Case("removeQueueMember", "userId", "user", lambda m, h: {"queueId": m["queue"], "userId": h}),
    Case(
        "createQueue",
        "input.teamId",
        "team",
        lambda m, h: {
            "input": {
                "name": "Nova",
                "mode": "OFFLINE",
                "strategy": "ROUND_ROBIN",
                "members": [],
                "teamId": h,
            }
        },
    ),
    Case("updateQueue", "id", "queue", lambda m, h: {"id": h, "input": {"name": "Nova"}}),
    Case("updateQueue", "input.teamId", "team", lambda m, h: {"id": m["queue"], "input": {"teamId": h}}),
    Case("archiveQueue", "id", "queue", by_id),
    Case("updateSegment", "id", "segment", lambda m, h: {"id": h, "input": {"name": "Nova"}}),
    Case("archiveSegment", "id", "segment", by_id),
    Case("distributeSegment", "segmentId", "segment", lambda m, h: {"segmentId": h, "queueId": m["queue"]}),
    Case("distributeSegment", "queueId", "queue", lambda m, h: {"segmentId": m["segment"], "queueId": h}),
    Case(
        "distribute",
        "input.queueId",
        "queue",
        lambda m, h: {"input": {"queueId": h, "contactId": m["contact"]}},
    ),
    Case("captureLead", "input.queueId", "queue", lambda m, h: {"input": {**LEAD, "queueId": h}}),
    Case("captureLead", "input.pipelineId", "pipeline", lambda m, h: {"input": {**LEAD, "pipelineId": h}}),
    Case("createForm", "input.queueId", "queue", lambda m, h: {"input": {"name": "Nova", "queueId": h}}),
    Case(
        "createForm",
        "input.pipelineId",
        "pipeline",
        lambda m, h: {"input": {"name": "Nova", "pipelineId": h}},
    ),
    Case("updateForm", "id", "form", lambda m, h: {"id": h, "input": {"name": "Nova"}}),
    Case("updateForm", "input.queueId", "queue", lambda m, h: {"id": m["form"], "input": {"queueId": h}}),
    Case(
        "updateForm",
        "input.pipelineId",
        "pipeline",
        lambda m, h: {"id": m["form"], "input": {"pipelineId": h}},
    ),
    Case("archiveForm", "id", "form", by_id),
    Case(
        "updateCustomFieldDefinition",
        "id",
        "custom_field",
        lambda m, h: {"id": h, "input": {"label": "Nova"}},
    ),
    Case("archiveCustomFieldDefinition", "id", "custom_field", by_id),
    Case("restoreCustomFieldDefinition", "id", "custom_field", by_id),
    Case(
        "createUser",
        "input.teamId",
        "team",
        lambda m, h: {
            "input": {
                "name": "Nova",
                "email": "nova@example.com",
                "password": PASSWORD,
                "role": "AGENT",
                "teamId": h,
            }
        },
    ),
    Case("createTeam", "input.managerId", "user", lambda m, h: {"input": {"name": "Nova", "managerId": h}}),
    Case("createTeam", "input.parentId", "team", lambda m, h: {"input": {"name": "Nova", "parentId": h}}),
    Case("updateTeam", "id", "team", lambda m, h: {"id": h, "input": {"name": "Mudada"}}),
    Case("updateTeam", "input.managerId", "user", lambda m, h: {"id": m["team"], "input": {"managerId": h}}),
    Case("updateTeam", "input.parentId", "team", lambda m, h: {"id": m["team"], "input": {"parentId": h}}),
    Case(
        "createApiKey",
        "input.userId",
        "user",
        lambda m, h: {"input": {"name": "Nova", "role": "AGENT", "userId": h}},
    ),
    Case("revokeApiKey", "id", "api_key", by_id),
    Case(
        "createInvitation",
        "input.teamId",
        "team",
        lambda m, h: {"input": {"email": "nova@example.com", "role": "AGENT", "teamId": h}},
    ),
    Case("revokeInvitation", "id", "invitation", by_id),
    # Developments are the workspace's setup too.
    Case(
        "createDevelopment",
        "input.developerId",
        "company",
        lambda m, h: {"input": {"name": "Novo", "status": "LAUNCH", "developerId": h}},
    ),
    Case("updateDevelopment", "id", "development", lambda m, h: {"id": h, "input": {"name": "Mudado"}}),
    Case(
        "updateDevelopment",
        "input.developerId",
        "company",
        lambda m, h: {"id": m["development"], "input": {"developerId": h}},
    ),
    Case("archiveDevelopment", "id", "development", by_id),
    Case("unarchiveDevelopment", "id", "development", by_id),
    Case(
        "setContactInterests",
        "developmentIds",
        "development",
        lambda m, h: {"contactId": m["contact"], "developmentIds": [h]},
        ("developmentIds", "0"),
    ),
    Case(
        "addContactInterest",
        "developmentId",
        "development",
        lambda m, h: {"contactId": m["contact"], "developmentId": h},
    ),
    Case(
        "removeContactInterest",
        "developmentId",
        "development",
        lambda m, h: {"contactId": m["contact"], "developmentId": h},
    ),
    Case(
        "createDeal",
        "input.developmentId",
        "development",
        lambda m, h: {"input": {"title": "Novo", "pipelineId": m["pipeline"], "developmentId": h}},
    ),
    Case(
        "updateDeal",
        "input.developmentId",
        "development",
        lambda m, h: {"id": m["deal"], "input": {"developmentId": h}},
    ),
    Case(
        "moveDeal",
        "input.patch.developmentId",
        "development",
        lambda m, h: {"input": {"dealId": m["deal"], "stageId": m["column"], "patch": {"developmentId": h}}},
    ),
    Case(
        "captureLead",
        "input.developmentId",
        "development",
        lambda m, h: {"input": {**LEAD, "developmentId": h}},
    ),
    Case(
        "createForm",
        "input.developmentId",
        "development",
        lambda m, h: {"input": {"name": "Nova", "developmentId": h}},
    ),
    Case(
        "updateForm",
        "input.developmentId",
        "development",
        lambda m, h: {"id": m["form"], "input": {"developmentId": h}},
    ),
    Case("updateUser", "id", "user", lambda m, h: {"id": h, "input": {"name": "Nova"}}),
    Case("updateUser", "input.teamId", "team", lambda m, h: {"id": m["user"], "input": {"teamId": h}}),
    Case("createPasswordResetLink", "userId", "user", lambda m, h: {"userId": h}),
    Case("deactivateUser", "id", "user", lambda m, h: {"id": h, "leadsGoTo": "MANAGER"}),
    Case("reactivateUser", "id", "user", by_id),
    Case("updateAutomationRule", "id", "rule", lambda m, h: {"id": h, "input": QUIET_RULE}),
    Case("setAutomationRuleEnabled", "id", "rule", lambda m, h: {"id": h, "enabled": False}),
    Case("deleteAutomationRule", "id", "rule", by_id),
    Case("retryAutomationRun", "id", "run", by_id),
    # The inbox's setup, and what a conversation is sent to.
    Case(
        "receiveMessage",
        "input.inboxId",
        "inbox",
        lambda m, h: {
            "input": {"inboxId": h, "from": {"phone": "+5511955559999"}, "body": "Oi", "externalId": "n"}
        },
    ),
    Case(
        "transferConversation",
        "input.userId",
        "user",
        lambda m, h: {"input": {"conversationId": m["conversation"], "userId": h}},
    ),
    Case(
        "transferConversation",
        "input.queueId",
        "queue",
        lambda m, h: {"input": {"conversationId": m["conversation"], "queueId": h}},
    ),
    Case(
        "createInbox",
        "input.queueId",
        "queue",
        lambda m, h: {"input": {"name": "Nova", "channel": "API", "queueId": h}},
    ),
    Case(
        "createInbox",
        "input.slaPolicyId",
        "sla_policy",
        lambda m, h: {"input": {"name": "Nova", "channel": "API", "slaPolicyId": h}},
    ),
    Case("updateInbox", "id", "inbox", lambda m, h: {"id": h, "input": {"name": "Nova"}}),
    Case("updateInbox", "input.queueId", "queue", lambda m, h: {"id": m["inbox"], "input": {"queueId": h}}),
    Case(
        "updateInbox",
        "input.slaPolicyId",
        "sla_policy",
        lambda m, h: {"id": m["inbox"], "input": {"slaPolicyId": h}},
    ),
    Case(
        "upsertMessageTemplate",
        "inboxId",
        "inbox",
        lambda m, h: {"inboxId": h, "input": {"name": "visita", "language": "pt_BR", "body": "Oi {{1}}"}},
    ),
    Case("setInboxFlow", "inboxId", "inbox", lambda m, h: {"inboxId": h, "input": hand_off_flow(None)}),
    Case(
        "setInboxFlow",
        "input.nodes.queueId",
        "queue",
        lambda m, h: {"inboxId": m["inbox"], "input": hand_off_flow(h)},
        field=("input", "nodes", "0", "queueId"),
    ),
    Case("removeInboxFlow", "inboxId", "inbox", lambda m, h: {"inboxId": h}),
    Case(
        "updateWebhookEndpoint", "id", "webhook_endpoint", lambda m, h: {"id": h, "input": {"enabled": True}}
    ),
    Case("rotateWebhookSecret", "id", "webhook_endpoint", by_id),
    Case("deleteWebhookEndpoint", "id", "webhook_endpoint", by_id),
    Case("redeliverWebhook", "deliveryId", "webhook_delivery", lambda m, h: {"deliveryId": h}),
    Case(
        "mapImportColumns",
        "input.importJobId",
        "import_job",
        lambda m, h: {"input": {"importJobId": h, "columns": [{"column": "Nome", "field": "name"}]}},
    ),
    Case("startImportDryRun", "importJobId", "import_job", lambda m, h: {"importJobId": h}),
    Case("startImport", "importJobId", "import_job", lambda m, h: {"importJobId": h}),
    Case("exportContactData", "id", "contact", lambda m, h: {"id": h, "reason": "Pedido do titular"}),
    Case("eraseContact", "id", "contact", lambda m, h: {"id": h, "reason": "Pedido do titular"}),
    Case("configureRdStationIntake", "input.queueId", "queue", lambda m, h: {"input": {"queueId": h}}),
    Case(
        "configureRdStationIntake", "input.pipelineId", "pipeline", lambda m, h: {"input": {"pipelineId": h}}
    ),
    Case(
        "createPartnerHandoffRule",
        "input.stageId",
        "stage",
        lambda m, h: {"input": {"name": "VIMOB", "stageId": h, "endpointId": h}},
    ),
    Case(
        "createPartnerHandoffRule",
        "input.endpointId",
        "webhook_endpoint",
        lambda m, h: {"input": {"name": "VIMOB", "stageId": m["column"], "endpointId": h}},
    ),
    Case("deletePartnerHandoffRule", "id", "partner_rule", by_id),
    Case(
        "updateDealFromPartner",
        "input.stageId",
        "stage",
        lambda m, h: {"input": {"dealId": m["deal"], "status": "Visita", "partner": "VIMOB", "stageId": h}},
    ),
]

CASES = {"agent": OWNED, "manager": OWNED + USERS, "outsider": OWNED + USERS + SETUP}
