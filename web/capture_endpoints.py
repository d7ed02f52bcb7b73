"""Lead capture over plain HTTP, beside /graphql:

- `POST /f/{key}`: public form posts (JSON, or an HTML form's urlencoded or
  multipart body). No credentials of any kind are read — the key is the
  whole authority, so a cookie can never make a cross-site post act as
  someone. JSON callers get JSON; browsers get a redirect to the form's
  thank-you URL or a small thank-you page.
- `POST /api/leads`: the intake for marketing tools, authenticated with
  `Authorization: Bearer <API key>` (a session token is refused: a tool
  holds a key an admin can revoke, not a person's login), honouring
  `Idempotency-Key`.

A body that cannot be read — not JSON, nested past the parser, an unknown
multipart charset, text with NUL, control characters or unpaired
surrogates — is a 400 BAD_REQUEST, and nothing is captured."""

from __future__ import annotations

import html
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from revgraph.models.distribution import Form
from revgraph.resolvers.credentials import authenticate
from revgraph.resolvers.distribution import form_posts, intake
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _, choose, current_language, set_language
from revgraph.resolvers.identity import API_KEY_PREFIX
from revgraph.resolvers.key_scopes import http_refusal
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.validation import bad_text_in
from revgraph.web.graphql_view import bearer, client_ip

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Any page may post to a form with fetch(): nothing here depends on who the
# visitor is, so allowing every origin gives nothing away.
CORS = {"access-control-allow-origin": "*"}


class BadBody(ValueError):
    """The body cannot be read as what its Content-Type says."""


class CaptureEndpoints:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.max_body = settings.limits.capture_max_body_bytes
        self.form_posts = form_posts.FormPostLimiter(settings)

    @property
    def routes(self) -> list[Route]:
        return [
            Route("/f/{key}", self.form_post, methods=["POST", "OPTIONS"]),
            Route("/api/leads", self.intake, methods=["POST"]),
        ]

    async def aclose(self) -> None:
        await self.form_posts.aclose()

    async def form_post(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(
                status_code=204,
                headers={
                    **CORS,
                    "access-control-allow-methods": "POST",
                    "access-control-allow-headers": "content-type",
                    "access-control-max-age": "86400",
                },
            )
        media_type = _media_type(request)
        accept = request.headers.get("accept", "")
        as_json = media_type == "application/json" or (
            "application/json" in accept and "text/html" not in accept
        )
        if media_type != "application/json" and media_type not in FORM_TYPES:
            return _json(
                415,
                {
                    "ok": False,
                    "error": "UNSUPPORTED_MEDIA_TYPE",
                    "message": _(
                        "Post application/json, application/x-www-form-urlencoded or multipart/form-data."
                    ),
                },
            )
        body = await self._body(request)
        if body is None:
            return _json(413, {"ok": False, "error": "PAYLOAD_TOO_LARGE", "message": self._too_large()})
        form = await form_posts.find_form(request.path_params["key"])
        if form is None:
            return _json(404, {"ok": False, "error": "NOT_FOUND", "message": _("No such form.")})
        allowance = await self.form_posts.hit(form.key, client_ip(request))
        if not allowance.allowed:
            headers = {"retry-after": str(allowance.retry_after)}
            message = _("Too many posts from your address to this form: try again later.")
            if as_json:
                return _json(429, {"ok": False, "error": "RATE_LIMITED", "message": message}, headers)
            return _page(
                429,
                _("Too many attempts"),
                _paragraph(_("Too many posts in a short time. Try again later.")),
                headers,
            )
        try:
            posted = _read_posted(media_type, body, request.headers.get("content-type", ""))
        except BadBody as exc:
            return _json(400, {"ok": False, "error": "BAD_REQUEST", "message": str(exc)})
        try:
            await form_posts.submit_form(
                self.settings, form, posted, dict(request.query_params), request.headers.get("referer")
            )
        except DomainError as error:
            if as_json:
                return _json(422, {"ok": False, "errors": _errors(error)})
            items = "".join(f"<li>{html.escape(p.message)}</li>" for p in error.problems)
            return _page(
                422, _("Check your details"), _paragraph(_("It could not be sent:")) + f"<ul>{items}</ul>"
            )
        if as_json:
            # Only "received": whether this person was already a contact, or
            # their id, is nobody's business on a public endpoint (LGPD), and
            # a bot that filled the honeypot gets the very same answer.
            return _json(201, {"ok": True})
        return _thanks(form)

    async def intake(self, request: Request) -> Response:
        token = bearer(request.headers.get("authorization"))
        if token and not token.startswith(API_KEY_PREFIX):
            return _unauthenticated(
                _(
                    "This endpoint takes an API key, not a session token: an admin creates one with createApiKey."
                )
            )
        actor = await authenticate(self.settings, token) if token else None
        if actor is None or actor.api_key_id is None:
            return _unauthenticated(
                _("Send Authorization: Bearer <API key>; this one is missing, revoked or expired.")
            )
        set_language(choose(actor.locale, request.headers.get("accept-language")))
        refused = http_refusal(actor, "intake")
        if refused:
            return _json(403, {"ok": False, "error": "FORBIDDEN", "message": refused})
        if _media_type(request) != "application/json":
            return _json(
                415,
                {
                    "ok": False,
                    "error": "UNSUPPORTED_MEDIA_TYPE",
                    "message": _("Send Content-Type: application/json."),
                },
            )
        body = await self._body(request)
        if body is None:
            return _json(413, {"ok": False, "error": "PAYLOAD_TOO_LARGE", "message": self._too_large()})
        try:
            lead = _clean(_json_object(body, _("Send one lead per request, as a JSON object.")))
        except BadBody as exc:
            return _json(400, {"ok": False, "error": "BAD_REQUEST", "message": str(exc)})
        try:
            result = await intake.intake_lead(
                self.settings, actor, lead, request.headers.get("idempotency-key")
            )
        except DomainError as error:
            return _json(422, {"ok": False, "errors": _errors(error)})
        except intake.IdempotencyConflict as conflict:
            return _json(409, {"ok": False, "error": "IDEMPOTENCY_CONFLICT", "message": str(conflict)})
        headers = {"idempotent-replayed": "true"} if result.replayed else None
        return JSONResponse(result.body, status_code=201, headers=headers)

    async def _body(self, request: Request) -> bytes | None:
        """The body, or None past the capture limit (checked on the declared
        length first so an oversized upload is refused before it is read)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return None
        body = await request.body()
        return None if len(body) > self.max_body else body

    def _too_large(self) -> str:
        return _("The body exceeds {limit} bytes.", limit=self.max_body)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={**CORS, **(headers or {})})


def _unauthenticated(message: str) -> JSONResponse:
    return _json(
        401,
        {"ok": False, "error": "UNAUTHENTICATED", "message": message},
        {"www-authenticate": 'Bearer realm="revgraph"'},
    )


def _errors(error: DomainError) -> list[dict[str, Any]]:
    return [{"code": p.code, "message": p.message, "field": p.field} for p in error.problems]


def _json_object(body: bytes, not_an_object: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError; deep nesting
        raise BadBody(_("The body is not valid JSON.")) from exc
    if not isinstance(value, dict):
        raise BadBody(not_an_object)
    return value


def _clean(posted: dict[str, Any]) -> dict[str, Any]:
    """The posted fields, if no text in them is one no record may hold."""
    bad = bad_text_in(posted, [])
    if bad is not None:
        problem = bad.problems[0]
        if problem.field:
            raise BadBody(
                _(
                    "{problem} (in {field}).",
                    problem=problem.message.rstrip("."),
                    field=".".join(problem.field),
                )
            )
        raise BadBody(problem.message)
    return posted


def _read_posted(media_type: str, body: bytes, content_type: str) -> dict[str, Any]:
    if media_type == "application/json":
        return _clean(_json_object(body, _("Post one JSON object of fields.")))
    fields: list[tuple[str, str]]
    try:
        if media_type == "multipart/form-data":
            fields = _multipart_fields(body, content_type)
        else:
            fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (ValueError, LookupError) as exc:  # UnicodeDecodeError; LookupError: an unknown charset
        raise BadBody(
            _("The form body is not valid form data in UTF-8 (or a charset Python knows).")
        ) from exc
    posted: dict[str, Any] = {}
    for name, value in fields:
        # A repeated field (checkboxes) keeps every choice.
        previous = posted.get(name)
        posted[name] = f"{previous}, {value}" if previous and value else (value or previous or "")
    return _clean(posted)


def _multipart_fields(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """Text fields of a multipart/form-data body. Files are not lead data
    and are skipped. The stdlib MIME parser reads bodies this small
    (capture_max_body_bytes) without another dependency."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("not multipart")
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None:
            continue
        payload = part.get_payload(decode=True) or b""
        fields.append((name, payload.decode(part.get_content_charset() or "utf-8")))
    return fields


def _thanks(form: Form) -> Response:
    if form.thank_you_url:
        parts = urlsplit(form.thank_you_url)
        query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), ("ok", "1")])
        return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=303)
    return _page(200, _("Thank you!"), _paragraph(_("We received your details. We will be in touch soon.")))


def _paragraph(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _page(status: int, title: str, content: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="{current_language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">'
        f"<h1>{html.escape(title)}</h1>{content}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=headers)
