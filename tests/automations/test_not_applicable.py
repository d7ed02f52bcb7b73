"""An action that cannot apply to its subject (a contact without an e-mail
address, an event without a conversation) ends the run SKIPPED at once with a pt-BR
reason in the run history, instead of five retries and FAILED (issue 14:
the demo's visit confirmation failed on contacts without e-mail)."""

from __future__ import annotations

from tests.automations.support import contact_timeline, create_rule, runs, settle
from tests.graph.documents import create_contact

WELCOME = {
    "name": "Boas-vindas",
    "trigger": {"kind": "CONTACT_CREATED"},
    "actions": [
        {"createTask": {"title": "Ligar para {{contact.name}}", "assignTo": "OWNER"}},
        {"sendEmail": {"to": "CONTACT", "subject": "Olá, {{contact.name}}", "body": "Oi"}},
    ],
}


async def test_an_email_to_a_contact_without_one_is_skipped_with_a_reason_not_retried(
    gql, workspace, mailbox
):
    # given a rule that creates a task and then e-mails the new contact
    await create_rule(gql, workspace.token, **WELCOME)

    # when a contact without an e-mail address and one with it are created
    without = await create_contact(gql, workspace.token, name="Hugo Sem Email")
    await create_contact(gql, workspace.token, name="Iara", email="iara@example.com")
    await settle()

    # then the one without is SKIPPED at its second step, in one attempt, saying why
    [skipped] = await runs(gql, workspace.token, status="SKIPPED")
    assert skipped["reason"] == "passo 2: O contato não tem endereço de e-mail."
    assert (skipped["attempts"], skipped["stepsDone"], skipped["error"]) == (0, 1, None)
    assert skipped["finishedAt"] is not None
    assert await runs(gql, workspace.token, status="FAILED") == []
    [succeeded] = await runs(gql, workspace.token, status="SUCCEEDED")
    assert succeeded["stepsDone"] == 2
    # the e-mail went only to the contact who has an address, and the timeline says why the other got none
    assert [m["To"] for m in mailbox.messages] == ["iara@example.com"]
    timeline = await contact_timeline(gql, workspace.token, without["id"])
    assert timeline[0]["kind"] == "automation.skipped"
    assert "O contato não tem endereço de e-mail." in timeline[0]["summary"]


async def test_an_email_on_a_server_without_smtp_cannot_apply(server):
    import dataclasses

    import pytest

    from revgraph.resolvers.automations.email import send_email
    from revgraph.resolvers.automations.not_applicable import NotApplicable

    # given a server with no REVGRAPH_SMTP_HOST (the demo's case): retrying cannot help
    settings = dataclasses.replace(server.settings, smtp_host=None)
    with pytest.raises(NotApplicable) as lacking:
        await send_email(settings, to="iara@example.com", subject="Olá", body="Oi")
    assert "REVGRAPH_SMTP_HOST" in lacking.value.reason
