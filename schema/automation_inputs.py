"""Typed inputs and enums of automation rules: one input member per action
type, so clients and partners see through introspection what a rule can say."""

from __future__ import annotations

from enum import Enum

import strawberry

from revgraph.schema.common import IDFilter
from revgraph.schema.contacts import ContactFilter
from revgraph.schema.deal_filters import DealFilter
from revgraph.schema.inbox.conversation_types import ConversationPriority, ConversationStatus
from revgraph.schema.inbox.setup import ChannelKind


@strawberry.enum(description="The event from the log that starts a rule.")
class AutomationTriggerKind(Enum):
    CONTACT_CREATED = "CONTACT_CREATED"
    CONTACT_UPDATED = "CONTACT_UPDATED"
    CONTACT_SCORE_CHANGED = "CONTACT_SCORE_CHANGED"
    LEAD_CAPTURED = "LEAD_CAPTURED"
    LEAD_REENTERED = "LEAD_REENTERED"
    LEAD_DISQUALIFIED = "LEAD_DISQUALIFIED"
    DEAL_CREATED = "DEAL_CREATED"
    DEAL_UPDATED = "DEAL_UPDATED"
    DEAL_STAGE_CHANGED = "DEAL_STAGE_CHANGED"
    TASK_COMPLETED = "TASK_COMPLETED"
    TASK_OVERDUE = "TASK_OVERDUE"
    NOTE_ADDED = "NOTE_ADDED"
    ASSIGNMENT_MADE = "ASSIGNMENT_MADE"
    ASSIGNMENT_QUEUED = "ASSIGNMENT_QUEUED"
    CONVERSATION_CREATED = strawberry.enum_value(
        "CONVERSATION_CREATED", description="A contact's message opened a conversation in an inbox."
    )
    CONVERSATION_ASSIGNED = strawberry.enum_value(
        "CONVERSATION_ASSIGNED",
        description="A conversation was given to someone: opened routed, assigned, transferred or re-routed (not unassigned).",
    )
    CONVERSATION_RESOLVED = strawberry.enum_value(
        "CONVERSATION_RESOLVED", description="A conversation was resolved."
    )
    MESSAGE_RECEIVED = strawberry.enum_value(
        "MESSAGE_RECEIVED", description="A message from the contact arrived in a conversation."
    )
    SLA_WARNING = strawberry.enum_value(
        "SLA_WARNING",
        description="A conversation's SLA deadline falls within its policy's warnBeforeMinutes (once per deadline).",
    )
    SLA_BREACHED = strawberry.enum_value(
        "SLA_BREACHED", description="A conversation's SLA deadline passed (once per deadline)."
    )


@strawberry.enum(description="Who gets a task an automation creates.")
class AutomationTaskAssignee(Enum):
    OWNER = "OWNER"
    USER = "USER"


@strawberry.enum(description="Fields an automation may set (custom fields need customFieldKey).")
class AutomationField(Enum):
    CONTACT_LIFECYCLE_STAGE = "CONTACT_LIFECYCLE_STAGE"
    CONTACT_SOURCE = "CONTACT_SOURCE"
    CONTACT_CUSTOM_FIELD = "CONTACT_CUSTOM_FIELD"
    DEAL_TITLE = "DEAL_TITLE"
    DEAL_VALUE = "DEAL_VALUE"
    DEAL_CUSTOM_FIELD = "DEAL_CUSTOM_FIELD"


@strawberry.enum(description="Where an automation's e-mail goes.")
class AutomationEmailRecipient(Enum):
    CONTACT = "CONTACT"
    OWNER = "OWNER"
    ADDRESS = "ADDRESS"


@strawberry.enum(
    description="Who an automation notifies: the record's owner, the owner's manager, or a user."
)
class AutomationNotifyRecipient(Enum):
    OWNER = "OWNER"
    MANAGER = "MANAGER"
    USER = "USER"


TEMPLATE_HELP = (
    "Placeholders: {{contact.name}}, {{contact.email}}, {{contact.phone}}, {{deal.title}}, "
    "{{deal.value}}, {{deal.stage}}, {{owner.name}}, {{owner.email}}, {{rule.name}} "
    "(on conversation triggers the owner is the conversation's assignee)."
)


@strawberry.input(description="What starts the rule, with optional details of the event.")
class AutomationTriggerInput:
    kind: AutomationTriggerKind = strawberry.field(description="The event kind.")
    from_stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="DEAL_STAGE_CHANGED only: the stage left (stage automations)."
    )
    to_stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="DEAL_STAGE_CHANGED only: the stage entered (stage automations)."
    )
    field: str | None = strawberry.field(
        default=None,
        description='DEAL_UPDATED / CONTACT_UPDATED only: the field that changed ("ownerId", "value", "lifecycleStage", "customFields.<key>", ...).',
    )
    value: str | None = strawberry.field(
        default=None, description="With field: only when it changed to this value (ids as global ids)."
    )


@strawberry.input(description="Create a task about the subject.")
class AutomationCreateTaskInput:
    title: str = strawberry.field(description=f"Task title (at most 300 characters). {TEMPLATE_HELP}")
    due_in_minutes: int | None = strawberry.field(
        default=None, description="Due this many minutes after the action runs; null: no due date."
    )
    assign_to: AutomationTaskAssignee = strawberry.field(
        default=AutomationTaskAssignee.OWNER, description="The subject's owner (default) or userId."
    )
    user_id: strawberry.ID | None = strawberry.field(default=None, description="With assignTo USER.")


@strawberry.input(description="Set a field of the subject's contact or deal.")
class AutomationSetFieldInput:
    field: AutomationField = strawberry.field(description="Which field.")
    custom_field_key: str | None = strawberry.field(
        default=None, description="The key, for CONTACT_CUSTOM_FIELD / DEAL_CUSTOM_FIELD."
    )
    value: str | None = strawberry.field(
        default=None, description='The new value as text (a deal value like "1500.00"); null clears.'
    )


@strawberry.input(description="A tag to add to or remove from the subject's contact (or its conversation).")
class AutomationTagInput:
    tag: str = strawberry.field(description="The tag.")


@strawberry.input(
    description="Give the conversation to a user (as assignConversation does), or through a queue (its strategy chooses; nobody available now: an unassigned conversation waits in that queue, an assigned one stays). Set exactly one."
)
class AutomationAssignConversationInput:
    user_id: strawberry.ID | None = strawberry.field(default=None, description="An active user.")
    queue_id: strawberry.ID | None = strawberry.field(default=None, description="A queue.")


@strawberry.input(
    description="Transfer the conversation (as transferConversation does) to a user or back through a queue, the reason written in the thread. Set exactly one of userId and queueId. A resolved conversation is not transferred (the run fails)."
)
class AutomationTransferConversationInput:
    user_id: strawberry.ID | None = strawberry.field(default=None, description="An active user.")
    queue_id: strawberry.ID | None = strawberry.field(
        default=None, description="A queue; nobody available now: it waits in that queue's backlog."
    )
    reason: str | None = strawberry.field(default=None, description="At most 500 characters.")


@strawberry.input(
    description="Send a canned response as an OUTBOUND TEXT from the automation (no author: it is no human reply, so the contact's wait and the SLA clock go on). Inside the channel's reply window only: outside it nothing is sent and the run fails with WINDOW_CLOSED."
)
class AutomationSendCannedResponseInput:
    short_code: str = strawberry.field(
        description='The canned response\'s shortCode ("/" optional, any case); it must exist when the rule is saved.'
    )


@strawberry.input(description="Set the conversation's priority.")
class AutomationSetConversationPriorityInput:
    priority: ConversationPriority = strawberry.field(description="LOW, MEDIUM, HIGH or URGENT.")


@strawberry.input(
    description="Conditions on the conversation of a conversation trigger, evaluated when the event arrives: every field set must hold."
)
class AutomationConversationFilter:
    and_: list[AutomationConversationFilter] | None = strawberry.field(
        name="and", default=strawberry.UNSET, description="All of these."
    )
    or_: list[AutomationConversationFilter] | None = strawberry.field(
        name="or", default=strawberry.UNSET, description="Any of these."
    )
    not_: AutomationConversationFilter | None = strawberry.field(
        name="not", default=strawberry.UNSET, description="Not this."
    )
    status: list[ConversationStatus] | None = strawberry.field(
        default=strawberry.UNSET, description="One of these statuses."
    )
    priority: list[ConversationPriority] | None = strawberry.field(
        default=strawberry.UNSET, description="One of these priorities."
    )
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Has every one of these tags."
    )
    inbox_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="The inbox.")
    assignee_id: IDFilter | None = strawberry.field(
        default=strawberry.UNSET, description="The assignee (isNull: true for the unassigned)."
    )
    channel: list[ChannelKind] | None = strawberry.field(
        default=strawberry.UNSET, description="The inbox's channel is one of these."
    )


@strawberry.input(description="Move the deal to a stage, through the same stage gates as a user's move.")
class AutomationMoveDealInput:
    stage_id: strawberry.ID = strawberry.field(description="The target stage.")
    lost_reason: str | None = strawberry.field(default=None, description="Required for a LOST stage.")


@strawberry.input(description="Distribute the subject (its deal, else its contact) through a queue.")
class AutomationDistributeInput:
    queue_id: strawberry.ID = strawberry.field(description="The queue.")


@strawberry.input(description="Give the subject (its deal, else its contact) to a user.")
class AutomationAssignInput:
    user_id: strawberry.ID = strawberry.field(description="The new owner.")


@strawberry.input(description="Send a plain-text e-mail over the server's SMTP (REVGRAPH_SMTP_*).")
class AutomationSendEmailInput:
    to: AutomationEmailRecipient = strawberry.field(description="CONTACT, OWNER or ADDRESS.")
    address: str | None = strawberry.field(default=None, description="With to ADDRESS.")
    subject: str = strawberry.field(description=f"Subject line. {TEMPLATE_HELP}")
    body: str = strawberry.field(description=f"Body text. {TEMPLATE_HELP}")


@strawberry.input(description="Notify a user (stored, and live on the `notifications` subscription).")
class AutomationNotifyInput:
    to: AutomationNotifyRecipient = strawberry.field(description="OWNER, MANAGER or USER.")
    user_id: strawberry.ID | None = strawberry.field(default=None, description="With to USER.")
    message: str = strawberry.field(description=f"The message (at most 1000 characters). {TEMPLATE_HELP}")


@strawberry.input(description="Lead scoring: add points to the contact's score (negative subtracts).")
class AutomationAdjustScoreInput:
    points: int = strawberry.field(description="-1000..1000, not 0.")


@strawberry.input(description="When a delayed action does not happen, re-checked when the wait is over.")
class AutomationExitConditionInput:
    unless_contacted: bool | None = strawberry.field(
        default=None,
        description="Skip (and end the run) if a note, completed task or message was recorded on the subject after the trigger.",
    )
    unless_matches: ContactFilter | None = strawberry.field(
        default=None, description="Skip (and end the run) if the contact then matches this filter."
    )


@strawberry.input(description="One step of a rule: set exactly one action member.")
class AutomationActionInput:
    create_task: AutomationCreateTaskInput | None = strawberry.field(
        default=None, description="Create a task."
    )
    set_field: AutomationSetFieldInput | None = strawberry.field(default=None, description="Set a field.")
    add_tag: AutomationTagInput | None = strawberry.field(
        default=None, description="Add a tag to the contact."
    )
    remove_tag: AutomationTagInput | None = strawberry.field(
        default=None, description="Remove a tag from the contact."
    )
    move_deal: AutomationMoveDealInput | None = strawberry.field(default=None, description="Move the deal.")
    distribute: AutomationDistributeInput | None = strawberry.field(
        default=None, description="Distribute through a queue."
    )
    assign: AutomationAssignInput | None = strawberry.field(default=None, description="Give to a user.")
    send_email: AutomationSendEmailInput | None = strawberry.field(
        default=None, description="Send an e-mail."
    )
    notify: AutomationNotifyInput | None = strawberry.field(default=None, description="Notify a user.")
    adjust_score: AutomationAdjustScoreInput | None = strawberry.field(
        default=None,
        description="Change the contact's score; records contact.score_changed (a CONTACT_SCORE_CHANGED trigger).",
    )
    assign_conversation: AutomationAssignConversationInput | None = strawberry.field(
        default=None, description="Conversation triggers only: assign the conversation."
    )
    transfer_conversation: AutomationTransferConversationInput | None = strawberry.field(
        default=None, description="Conversation triggers only: transfer the conversation."
    )
    resolve_conversation: bool | None = strawberry.field(
        default=None,
        description="Conversation triggers only: true resolves the conversation (one already resolved is left so).",
    )
    send_canned_response: AutomationSendCannedResponseInput | None = strawberry.field(
        default=None, description="Conversation triggers only: send a canned response in the conversation."
    )
    set_conversation_priority: AutomationSetConversationPriorityInput | None = strawberry.field(
        default=None, description="Conversation triggers only: set the conversation's priority."
    )
    add_conversation_tag: AutomationTagInput | None = strawberry.field(
        default=None, description="Conversation triggers only: add a tag to the conversation."
    )
    wait_minutes: int | None = strawberry.field(
        default=None,
        description="Wait this long (1..527040 minutes) before the action; resumes within ~30 s.",
    )
    exit_condition: AutomationExitConditionInput | None = strawberry.field(
        default=None, description="With waitMinutes: when to skip the action and end the run."
    )


@strawberry.input(description="A rule: trigger, conditions on the subject, ordered actions.")
class AutomationRuleInput:
    name: str = strawberry.field(description="Shown as the actor on the timeline (at most 200 characters).")
    enabled: bool = strawberry.field(default=True, description="Disabled rules start no runs.")
    trigger: AutomationTriggerInput = strawberry.field(description="What starts it.")
    contact_conditions: ContactFilter | None = strawberry.field(
        default=None, description="The subject's contact must match (evaluated when the event arrives)."
    )
    deal_conditions: DealFilter | None = strawberry.field(
        default=None, description="The subject's deal must match (no deal: the rule does not run)."
    )
    conversation_conditions: AutomationConversationFilter | None = strawberry.field(
        default=None,
        description="Conversation triggers only: the conversation must match (evaluated when the event arrives).",
    )
    actions: list[AutomationActionInput] = strawberry.field(description="1..20 steps, in order.")
