"""The public CSAT page (pesquisa de satisfação): `GET /csat/{token}` shows
a small form (rating 1-5, optional comment) in the visitor's language
(Accept-Language, as request_guard sets it; pt-BR by default), `POST /csat/{token}`
stores the answer (resolvers/inbox/csat.py) and thanks. The token in the
path is the whole authority: no login, no cookie is read, so a cross-site
post can act as nobody. Rendered on the server — no script, no external
asset — with the log-in screen's look (board.css) and the reset page's
headers: nothing caches the page, no Referer carries the token."""

from __future__ import annotations

import html
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import N_, _, current_language
from revgraph.resolvers.inbox import csat

# As the reset page's (web/app.py), with form-action for the form's post.
CSAT_PAGE_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "x-frame-options": "DENY",
}
# A rating and a 2,000-character comment, urlencoded, fit in far less.
MAX_BODY_BYTES = 32 * 1024
LABELS = {1: N_("Very poor"), 2: N_("Poor"), 3: N_("Fair"), 4: N_("Good"), 5: N_("Excellent")}
NOT_FOUND = (
    N_("Link not found"),
    N_("This survey link does not exist or was replaced by a newer one."),
)
ANSWERED = (N_("Survey already answered"), N_("This conversation was already rated. Thank you!"))
THANKS = (N_("Thank you for your rating!"), N_("Your opinion helps us serve you better every time."))
TOO_BIG = (N_("Too much to send"), N_("The comment is too long."))


def message_page(status: int, texts: tuple[object, object]) -> HTMLResponse:
    """A page of a title and one paragraph, both read in the visitor's language."""
    title, paragraph = texts
    return page(status, str(title), f"<p>{html.escape(str(paragraph))}</p>")


def page(status: int, title: str, content: str) -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="{current_language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{html.escape(title)}</title>"
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/board.css">'
        '<link rel="stylesheet" href="/csat.css"></head>'
        '<body><main class="login-screen"><section class="login csat">'
        f"<h1>{html.escape(title)}</h1>{content}</section></main></body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=CSAT_PAGE_HEADERS)


def form(workspace_name: str, error: str = "", rating: int | None = None, comment: str = "") -> str:
    question = (
        _("How do you rate the service you received from {workspace}?", workspace=workspace_name)
        if workspace_name
        else _("How do you rate the service you received?")
    )
    options = "".join(
        f'<label class="csat-option"><input type="radio" name="rating" value="{value}" required'
        f"{' checked' if value == rating else ''}>"
        f"<span>{value}</span><small>{html.escape(str(label))}</small></label>"
        for value, label in LABELS.items()
    )
    return (
        '<form method="post" class="csat-form">'
        f"<p>{html.escape(question)}</p>"
        f'<fieldset class="csat-rating"><legend>{html.escape(_("Rating from 1 to 5"))}</legend>{options}</fieldset>'
        f'<label for="comment">{html.escape(_("Anything else to tell us? (optional)"))}</label>'
        f'<textarea id="comment" name="comment" rows="4" maxlength="{csat.MAX_COMMENT_CHARS}">'
        f"{html.escape(comment)}</textarea>"
        f'<p class="form-error" role="alert">{html.escape(error)}</p>'
        f'<button type="submit" class="primary">{html.escape(_("Send rating"))}</button></form>'
    )


async def survey_page(request: Request) -> Response:
    token = request.path_params["token"]
    if request.method == "POST":
        return await _answer(request, token)
    survey = await csat.find_survey(token)
    if survey is None:
        return message_page(404, NOT_FOUND)
    if survey.answered:
        return message_page(200, ANSWERED)
    return page(200, _("Rate the service"), form(survey.workspace_name))


async def _answer(request: Request, token: str) -> Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return message_page(413, TOO_BIG)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return message_page(413, TOO_BIG)
    try:
        posted = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        posted = {}
    raw_rating = posted.get("rating", "").strip()
    rating = int(raw_rating) if raw_rating.isdigit() and len(raw_rating) < 3 else None
    comment = posted.get("comment", "")
    try:
        await csat.answer(token, rating if rating is not None else 0, comment)
    except DomainError as error:
        problem = error.problems[0]
        if problem.code == "DUPLICATE":
            return message_page(409, ANSWERED)
        survey = await csat.find_survey(token) if problem.code == "INVALID" else None
        if survey is None:
            return message_page(404, NOT_FOUND)
        if survey.answered:
            return message_page(409, ANSWERED)
        message = (
            _("Choose a rating from 1 to 5.")
            if problem.field == ["rating"]
            else _(
                "The comment may have up to {limit} characters, without control characters.",
                limit=csat.MAX_COMMENT_CHARS,
            )
        )
        return page(422, _("Rate the service"), form(survey.workspace_name, message, rating, comment))
    return message_page(200, THANKS)


routes = [Route("/csat/{token}", survey_page, methods=["GET", "POST"])]
