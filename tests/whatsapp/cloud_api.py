"""A local stand-in of the WhatsApp Cloud API, speaking its documented wire
format: `POST /<version>/<phone-number-id>/messages` with `Authorization:
Bearer <token>` and a JSON message object; success is
`{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
"messages": [{"id": "wamid..."}]}`, failure an error object
`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.

Tests script what it answers next (`fail_next`), and read what it was sent."""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

VERSION = "v26.0"


def error_body(message: str, type_: str, code: int, subcode: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": type_,
        "code": code,
        "fbtrace_id": "A" + secrets.token_hex(8),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@dataclass
class Answer:
    status: int
    body: Any = None
    # Seconds to wait before answering (longer than the client's timeout: a timeout).
    delay: float = 0.0


@dataclass
class CloudApi:
    # phone-number-id -> the access token it takes
    numbers: dict[str, str] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    planned: deque[Answer] = field(default_factory=deque)

    def reset(self) -> None:
        self.numbers.clear()
        self.received.clear()
        self.planned.clear()

    def fail_next(self, *answers: Answer) -> None:
        self.planned.extend(answers)

    def sent(self) -> list[dict[str, Any]]:
        """The message objects accepted (2xx), in order."""
        return [r["json"] for r in self.received if r.get("status") == 200]

    def app(self) -> Starlette:
        return Starlette(routes=[Route(f"/{VERSION}/{{number}}/messages", self.messages, methods=["POST"])])

    async def messages(self, request: Request) -> JSONResponse:
        number = request.path_params["number"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        record = {"number": number, "authorization": request.headers.get("authorization"), "json": body}
        self.received.append(record)
        answer = self._answer(number, request.headers.get("authorization"), body)
        if self.planned:
            answer = self.planned.popleft()
        if answer.delay:
            await asyncio.sleep(answer.delay)
        record["status"] = answer.status
        return JSONResponse(answer.body, status_code=answer.status)

    def _answer(self, number: str, authorization: str | None, body: Any) -> Answer:
        token = self.numbers.get(number)
        if token is None:
            message = f"Unsupported post request. Object with ID '{number}' does not exist"
            return Answer(400, error_body(message, "GraphMethodException", 100, 33))
        if authorization != f"Bearer {token}":
            return Answer(401, error_body("Error validating access token", "OAuthException", 190, 463))
        problem = _problem(body)
        if problem:
            return Answer(400, error_body(f"(#100) {problem}", "OAuthException", 100))
        to = body["to"]
        wamid = "wamid." + base64.b64encode(secrets.token_bytes(24)).decode()
        return Answer(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            },
        )


def _problem(body: Any) -> str | None:
    """What the Cloud API would refuse in a message object."""
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return "The parameter messaging_product is required."
    if not isinstance(body.get("to"), str) or not body["to"].isdigit():
        return "Invalid parameter: to"
    if body.get("type") == "text":
        text = body.get("text")
        if not isinstance(text, dict) or not isinstance(text.get("body"), str) or not text["body"]:
            return "The parameter text['body'] is required."
        return None
    if body.get("type") == "template":
        template = body.get("template") or {}
        if not template.get("name") or not (template.get("language") or {}).get("code"):
            return "Param template['name'] and template['language']['code'] are required."
        for component in template.get("components") or []:
            if component.get("type") != "body" or not all(
                p.get("type") == "text" and isinstance(p.get("text"), str)
                for p in component.get("parameters") or []
            ):
                return "Invalid parameter: template['components']"
        return None
    return f"Invalid parameter: type {body.get('type')!r}"
