"""What a message shows of an e-mail: the new part of a reply, HTML as text."""

from __future__ import annotations

import pytest

from revgraph.resolvers.channels.email.html_text import html_to_text
from revgraph.resolvers.channels.email.parsing import parse_email
from revgraph.resolvers.channels.email.quotes import strip_quoted

REPLIES = [
    # Gmail in Portuguese, the attribution wrapped over two lines
    (
        "Pode ser às 10h.\n\nEm sex., 4 de dez. de 2026 às 18:00, Ana <\nana@example.com> escreveu:\n> Olá\n",
        "Pode ser às 10h.",
    ),
    # Gmail / Apple Mail in English
    ("Sure, thanks!\n\nOn Fri, Dec 4, 2026 at 6:00 PM Ana <ana@example.com> wrote:\n> Hi\n", "Sure, thanks!"),
    # Outlook in Portuguese: the quoted header block
    (
        "Recebido, obrigado.\n\nDe: Ana Corretora <ana@example.com>\nEnviado: sexta-feira, 4 de dezembro de 2026 18:00\n"
        "Para: Maria\nAssunto: Proposta\n\nSegue a proposta.",
        "Recebido, obrigado.",
    ),
    ("Ok.\n\n-----Mensagem original-----\nDe: Ana\nTexto antigo", "Ok."),
    # a signature, and the phone's sign-off
    ("Combinado.\n-- \nMaria Conceição\n(11) 98765-4321", "Combinado."),
    ("Combinado.\n\nEnviado do meu iPhone", "Combinado."),
    # interleaved answers keep the answers, not the quoted lines
    ("> Qual o valor?\nR$ 500 mil.\n> Aceita financiamento?\nSim.", "R$ 500 mil.\nSim."),
    # nothing but quotes: nothing is stripped
    ("> só a citação", "> só a citação"),
    # a sentence that merely starts with "Em" is not an attribution
    ("Em janeiro eu escrevo de novo.\nObrigada", "Em janeiro eu escrevo de novo.\nObrigada"),
]


@pytest.mark.parametrize(("text", "expected"), REPLIES)
def test_a_reply_keeps_only_what_was_written_this_time(text, expected):
    assert strip_quoted(text) == expected


def test_html_becomes_readable_text():
    html = (
        "<html><head><title>x</title><script>alert(1)</script></head><body>"
        "<p>Olá&nbsp;<b>Ana</b>,</p><p>Veja o <a href='https://example.com/imovel/1'>imóvel</a>.</p>"
        "<ul><li>3 quartos</li><li>2 vagas</li></ul><pre>linha 1\nlinha 2</pre></body></html>"
    )
    assert html_to_text(html) == (
        "Olá Ana,\nVeja o imóvel (https://example.com/imovel/1).\n3 quartos\n2 vagas\nlinha 1\nlinha 2"
    )


def test_an_unknown_charset_still_gives_the_text():
    source = (
        b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=x-desconhecido\r\n\r\n"
        b"Ol\xc3\xa1 mundo\r\n"
    )
    assert parse_email(source).text == "Olá mundo"


def test_a_message_without_a_message_id_is_named_by_its_content():
    source = b"From: a@example.com\r\nSubject: x\r\n\r\ncorpo\r\n"
    first, again = parse_email(source), parse_email(source)
    assert first.message_id == again.message_id
    assert first.message_id.endswith("@revgraph.invalid>")
    assert parse_email(source + b"outro\r\n").message_id != first.message_id


def test_a_forwarded_message_is_one_attachment_and_nul_bytes_are_dropped():
    inner = b"From: b@example.com\r\nSubject: antiga\r\n\r\ntexto antigo\r\n"
    source = (
        b"From: a@example.com\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nveja\x00 abaixo\r\n"
        b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"--B--\r\n"
    )
    parsed = parse_email(source)
    assert parsed.text == "veja abaixo"
    [attachment] = parsed.attachments
    assert (attachment["name"], attachment["mimeType"]) == ("mensagem.eml", "message/rfc822")
    assert attachment["size"] > 0
