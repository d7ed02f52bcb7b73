"""Composes Query, Mutation and Subscription from the domain modules and
owns the extension list (limits, caches, error masking)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import strawberry
from strawberry.tools import merge_types
from strawberry.types import Info
from strawberry.types.graphql import OperationType

import revgraph.schema.activities as activities_schema
import revgraph.schema.automation_operations as automation_operations
import revgraph.schema.automations as automations_schema
import revgraph.schema.board as board_schema
import revgraph.schema.companies as companies_schema
import revgraph.schema.consent as consent_schema
import revgraph.schema.contacts as contacts_schema
import revgraph.schema.custom_fields as custom_fields_schema
import revgraph.schema.deal_operations as deal_operations
import revgraph.schema.deals as deals_schema
import revgraph.schema.developments as developments_schema
import revgraph.schema.distribution as distribution_schema
import revgraph.schema.forms as forms_schema
import revgraph.schema.identity as identity_schema
import revgraph.schema.imports as imports_schema
import revgraph.schema.inbox as inbox_schema
import revgraph.schema.inbox.canned_responses as canned_responses_schema
import revgraph.schema.inbox.conversation_types as conversations_schema
import revgraph.schema.inbox.setup as inbox_setup_schema
import revgraph.schema.invitations as invitations_schema
import revgraph.schema.lgpd as lgpd_schema
import revgraph.schema.partners as partners_schema
import revgraph.schema.pipeline_templates as pipeline_templates_schema
import revgraph.schema.queues as queues_schema
import revgraph.schema.reports as reports_schema
import revgraph.schema.segments as segments_schema
import revgraph.schema.user_lifecycle as user_lifecycle_schema
import revgraph.schema.webhooks as webhooks_schema
import revgraph.schema.workspace_settings as workspace_settings_schema
from revgraph.resolvers import activities as activities_use_cases
from revgraph.resolvers import companies as companies_use_cases
from revgraph.resolvers import contacts as contacts_use_cases
from revgraph.resolvers import deals as deals_use_cases
from revgraph.resolvers import developments as developments_use_cases
from revgraph.resolvers import identity as identity_use_cases
from revgraph.resolvers import invitations as invitations_use_cases
from revgraph.resolvers import pipelines as pipelines_use_cases
from revgraph.resolvers import segments as segments_use_cases
from revgraph.resolvers import timeline as timeline_use_cases
from revgraph.resolvers.automations import notifications as notifications_use_cases
from revgraph.resolvers.automations import rules as rules_use_cases
from revgraph.resolvers.automations import runs as runs_use_cases
from revgraph.resolvers.custom_fields import definitions as custom_fields_use_cases
from revgraph.resolvers.distribution import bulk as bulk_use_cases
from revgraph.resolvers.distribution import forms as forms_use_cases
from revgraph.resolvers.distribution import live as distribution_live
from revgraph.resolvers.distribution import queues as queues_use_cases
from revgraph.resolvers.imports import jobs as imports_use_cases
from revgraph.resolvers.inbox import canned_responses as canned_use_cases
from revgraph.resolvers.inbox import queries as inbox_queries
from revgraph.resolvers.inbox import setup as inbox_setup_use_cases
from revgraph.resolvers.partners import handoff as handoff_use_cases
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.webhooks import endpoints as webhooks_use_cases
from revgraph.schema.common import DateTimeScalar, Node, ctx_of, query
from revgraph.schema.extensions import HookedStagesRunner, OperationOnceContext, should_mask
from revgraph.schema.nodes import register_node, resolve_node
from revgraph.schema.permissions import AUTHENTICATED

register_node("User", identity_use_cases.get_user, identity_schema.User.of)
register_node("Team", identity_use_cases.get_team, identity_schema.Team.of)
register_node("Invitation", invitations_use_cases.get_invitation, invitations_schema.Invitation.of)
register_node("Pipeline", pipelines_use_cases.get_pipeline, deals_schema.Pipeline.of)
register_node("Stage", pipelines_use_cases.get_stage, deals_schema.Stage.of)
register_node("Deal", deals_use_cases.get_deal, deals_schema.Deal.of)
register_node("Queue", queues_use_cases.get_queue, queues_schema.Queue.of)
register_node("Segment", segments_use_cases.get_segment, segments_schema.Segment.of)
register_node("BulkDistribution", bulk_use_cases.get_bulk_distribution, segments_schema.BulkDistribution.of)
register_node("Assignment", distribution_live.get_assignment, distribution_schema.Assignment.of)
register_node("Form", forms_use_cases.get_form, forms_schema.Form.of)
register_node("Contact", contacts_use_cases.get_contact, contacts_schema.Contact.of)
register_node("Company", companies_use_cases.get_company, companies_schema.Company.of)
register_node("Development", developments_use_cases.get_development, developments_schema.Development.of)
register_node("Task", activities_use_cases.get_task, activities_schema.Task.of)
register_node("TimelineEvent", timeline_use_cases.get_timeline_event, activities_schema.TimelineEvent.of)
register_node("AutomationRule", rules_use_cases.get_rule, automations_schema.AutomationRule.of)
register_node("AutomationRun", runs_use_cases.get_run, automations_schema.AutomationRun.of)
register_node("Notification", notifications_use_cases.get_notification, automations_schema.Notification.of)
register_node("Conversation", inbox_queries.get_conversation, conversations_schema.Conversation.of)
register_node("Message", inbox_queries.get_message, conversations_schema.Message.of)
register_node("Inbox", inbox_setup_use_cases.get_inbox, inbox_setup_schema.Inbox.of)
register_node("SlaPolicy", inbox_setup_use_cases.get_sla_policy, inbox_setup_schema.SlaPolicy.of)
register_node(
    "CannedResponse", canned_use_cases.get_canned_response, canned_responses_schema.CannedResponse.of
)
register_node("WebhookEndpoint", webhooks_use_cases.get_endpoint, webhooks_schema.WebhookEndpoint.of)
register_node("WebhookDelivery", webhooks_use_cases.get_delivery, webhooks_schema.WebhookDelivery.of)
register_node("ImportJob", imports_use_cases.find_job, imports_schema.ImportJob.of)
register_node("PartnerHandoffRule", handoff_use_cases.get_rule, partners_schema.PartnerHandoffRule.of)
register_node(
    "CustomFieldDefinition",
    custom_fields_use_cases.get_definition,
    custom_fields_schema.CustomFieldDefinition.of,
)


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any record by its global id; null when it does not exist or the caller may not see it.",
        permission_classes=AUTHENTICATED,
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await query(resolve_node(ctx_of(info), id))


Query = merge_types(
    "Query",
    (
        NodeQuery,
        identity_schema.IdentityQuery,
        contacts_schema.ContactsQuery,
        companies_schema.CompaniesQuery,
        activities_schema.ActivitiesQuery,
        developments_schema.DevelopmentsQuery,
        custom_fields_schema.CustomFieldsQuery,
        deal_operations.DealsQuery,
        automation_operations.AutomationsQuery,
        distribution_schema.DistributionQuery,
        queues_schema.QueuesQuery,
        segments_schema.SegmentsQuery,
        forms_schema.FormsQuery,
        inbox_schema.InboxQuery,
        reports_schema.ReportsQuery,
        webhooks_schema.WebhooksQuery,
        imports_schema.ImportsQuery,
        partners_schema.PartnersQuery,
        invitations_schema.InvitationQuery,
        pipeline_templates_schema.PipelineTemplateQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        identity_schema.IdentityMutation,
        user_lifecycle_schema.UserLifecycleMutation,
        contacts_schema.ContactsMutation,
        consent_schema.ConsentMutation,
        companies_schema.CompaniesMutation,
        developments_schema.DevelopmentsMutation,
        custom_fields_schema.CustomFieldsMutation,
        activities_schema.ActivitiesMutation,
        deal_operations.DealsMutation,
        automation_operations.AutomationsMutation,
        distribution_schema.DistributionMutation,
        queues_schema.QueuesMutation,
        segments_schema.SegmentsMutation,
        workspace_settings_schema.WorkspaceSettingsMutation,
        forms_schema.FormsMutation,
        inbox_schema.InboxMutation,
        webhooks_schema.WebhooksMutation,
        imports_schema.ImportsMutation,
        lgpd_schema.LgpdMutation,
        partners_schema.PartnersMutation,
        invitations_schema.InvitationMutation,
        pipeline_templates_schema.PipelineTemplateMutation,
    ),
)
Subscription = merge_types(
    "Subscription",
    (
        board_schema.BoardSubscription,
        inbox_schema.InboxSubscription,
        distribution_schema.DistributionSubscription,
        automation_operations.AutomationsSubscription,
        imports_schema.ImportsSubscription,
    ),
)


Query.__strawberry_definition__.description = "Reads. Records the caller may not see behave as missing."
Mutation.__strawberry_definition__.description = (
    "Writes. Each returns a payload with userErrors; a refused change changes nothing."
)
Subscription.__strawberry_definition__.description = (
    "Live streams over graphql-transport-ws, authenticated in connection_init."
)


client_errors = logging.getLogger("revgraph.client_errors")


class RevGraphSchema(strawberry.Schema):
    """Strawberry's schema without its error log per GraphQL error.

    Strawberry logs every error of every response at ERROR level with a
    traceback: a client past its rate limit, or sending invalid queries,
    would fill the logs (and, with a slow log sink, stall the server). Here
    unexpected errors are logged once, with their request id, by ErrorMasking
    (schema/extensions.py); what the client got wrong is a debug line."""

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        for error in errors:
            if not should_mask(error):
                client_errors.debug("client error: %s", error.message)

    def create_extensions_runner(self, execution_context: Any, extensions: list[Any]) -> Any:
        return HookedStagesRunner(execution_context=execution_context, extensions=extensions)

    def _create_execution_context(  # type: ignore[override]
        self,
        query: str | None,
        allowed_operation_types: Any,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> Any:
        """Strawberry's, with the operation's name and type read once
        (schema/extensions.py `OperationOnceContext`). The one private hook
        of the schema overridden here: tests/security/test_operation_once.py
        fails if an upgrade renames it (the lookups are counted)."""
        return OperationOnceContext(
            query=query,
            schema=self,
            allowed_operations=allowed_operation_types,
            context=context_value,
            root_value=root_value,
            variables=variable_values,
            provided_operation_name=operation_name,
            operation_extensions=operation_extensions,
        )

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Queries and mutations. Subscriptions run over graphql-transport-ws
        only (api/RUNNING.md): one sent over HTTP is refused as an operation
        type the method does not allow (400), never run half-way."""
        allowed = kwargs.get("allowed_operation_types")
        if allowed is not None:
            kwargs["allowed_operation_types"] = set(allowed) - {OperationType.SUBSCRIPTION}
        return await super().execute(*args, **kwargs)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    from revgraph.schema.extensions import extensions_for
    from revgraph.schema.input_guard import guard_text_inputs
    from revgraph.schema.lean_execution import thin_resolvers
    from revgraph.schema.poll import keep_report_answers

    guard_text_inputs(Query, Mutation)
    keep_report_answers(Query)
    schema = RevGraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=board_schema.SharedEventExecutionContext,
        scalar_overrides={datetime: DateTimeScalar},
        types=[identity_schema.Workspace, identity_schema.ApiKey],
        extensions=extensions_for(settings or Settings()),
    )
    thin_resolvers(schema)
    return schema
