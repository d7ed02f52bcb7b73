"""`revgraph smtp` as an operator runs it: its own process on the test's
database (and Redis, when configured), stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import time

import pytest

from revgraph.models.inbox import EmailSource
from tests.conftest import free_port
from tests.email.support import INBOX_ADDRESS, email_inbox, inbound_messages, mail, send_mail
from tests.infra.revgraph_process import RevgraphProcess, run_revgraph


def test_smtp_help_names_its_options():
    result = run_revgraph("smtp", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: revgraph smtp" in result.stdout
    assert "--host" in result.stdout and "--port" in result.stdout and "2525" in result.stdout


def _wait_listening(process: RevgraphProcess, port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.process is not None
        if process.process.poll() is not None:
            raise AssertionError(f"revgraph smtp exited:\n{process.output}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"revgraph smtp not listening:\n{process.output}") from None
            time.sleep(0.1)


async def test_the_smtp_command_stores_mail_for_inboxes_and_stops_on_sigterm(gql, workspace):
    # given an e-mail inbox, and the listener running as its own process
    await email_inbox(gql, workspace.token)
    port = free_port()
    process = RevgraphProcess("smtp", "--port", str(port)).start()
    try:
        await asyncio.to_thread(_wait_listening, process, port)
        # when mail comes for an unknown address, then for the inbox
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            await send_mail(port, mail(), to=["outro@imobiliaria.example.com"])
        refused = await send_mail(port, mail(), to=[INBOX_ADDRESS])
        # then only the inbox's is stored, with its source, by the time 250 came
        assert refused == {}
        [row] = await inbound_messages()
        assert row.external_id == "<primeira.1@cliente.example.com>"
        assert await EmailSource.filter(message_id=row.id).exists()
    finally:
        code = await process.stop()
    # and SIGTERM stops it cleanly
    assert code == 0, process.output
    assert f"SMTP listener on 127.0.0.1:{port}" in process.output
