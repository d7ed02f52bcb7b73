"""The example flow admins start from (exampleBotFlow, README "Chatbot"):
a greeting, then by the inbox's business hours either a question and an
e-mail before handing off to a broker, or — outside hours — the contact's
name and phone with the promise of a call back, handed to the queue so
the team finds it first thing. Written as setInboxFlow's input takes it."""

from __future__ import annotations

from typing import Any

EXAMPLE_FLOW: dict[str, Any] = {
    "start": "boas_vindas",
    "handOffKeywords": ["atendente", "corretor"],
    "nodes": [
        {
            "id": "boas_vindas",
            "kind": "MESSAGE",
            "text": "Olá! Sou o assistente virtual da imobiliária. Vou agilizar o seu atendimento.",
            "next": "horario",
        },
        {
            "id": "horario",
            "kind": "CONDITION",
            "rules": [{"source": "BUSINESS_HOURS", "operator": "IS_OPEN", "next": "interesse"}],
            "otherwise": "fora_nome",
        },
        {
            "id": "interesse",
            "kind": "QUESTION",
            "text": "Como podemos ajudar?",
            "display": "BUTTONS",
            "options": [
                {"label": "Comprar", "next": "email"},
                {"label": "Alugar", "next": "email"},
                {"label": "Outro assunto", "next": "transferir"},
            ],
        },
        {
            "id": "email",
            "kind": "COLLECT",
            "text": "Qual é o seu e-mail? Assim o corretor já envia as opções para você.",
            "field": "EMAIL",
            "next": "transferir",
        },
        {
            "id": "transferir",
            "kind": "HANDOFF",
            "text": "Obrigado! Um corretor vai continuar o atendimento por aqui em instantes.",
            "reason": "Atendimento qualificado pelo bot",
        },
        {
            "id": "fora_nome",
            "kind": "COLLECT",
            "text": "Nosso time está fora do horário de atendimento agora. Para um corretor retornar, qual é o seu nome?",
            "field": "NAME",
            "next": "fora_telefone",
        },
        {
            "id": "fora_telefone",
            "kind": "COLLECT",
            "text": "E qual é o melhor telefone, com DDD, para ligarmos?",
            "field": "PHONE",
            "next": "retorno",
        },
        {
            "id": "retorno",
            "kind": "HANDOFF",
            "text": "Anotado! Um corretor vai ligar para você no próximo horário de atendimento. Até logo!",
            "reason": "Retorno prometido fora do horário de atendimento",
        },
    ],
}
