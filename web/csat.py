"""The public CSAT page (pesquisa de satisfação): `GET /csat/{token}` shows
a small pt-BR form (rating 1-5, optional comment), `POST /csat/{token}`
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
LABELS = {1: "Muito ruim", 2: "Ruim", 3: "Regular", 4: "Bom", 5: "Excelente"}
NOT_FOUND = (
    "Link não encontrado",
    "<p>Este link de avaliação não existe ou foi substituído por um mais recente.</p>",
)
ANSWERED = ("Avaliação já registrada", "<p>Esta conversa já foi avaliada. Obrigado!</p>")
THANKS = ("Obrigado pela sua avaliação!", "<p>Sua opinião nos ajuda a atender cada vez melhor.</p>")


def page(status: int, title: str, content: str) -> HTMLResponse:
    document = (
        '<!doctype html><html lang="pt-BR"><head><meta charset="utf-8">'
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
    whom = f" com {html.escape(workspace_name)}" if workspace_name else ""
    options = "".join(
        f'<label class="csat-option"><input type="radio" name="rating" value="{value}" required'
        f"{' checked' if value == rating else ''}>"
        f"<span>{value}</span><small>{label}</small></label>"
        for value, label in LABELS.items()
    )
    return (
        '<form method="post" class="csat-form">'
        f"<p>Como você avalia o atendimento que recebeu{whom}?</p>"
        f'<fieldset class="csat-rating"><legend>Nota de 1 a 5</legend>{options}</fieldset>'
        '<label for="comment">Quer contar mais? (opcional)</label>'
        f'<textarea id="comment" name="comment" rows="4" maxlength="{csat.MAX_COMMENT_CHARS}">'
        f"{html.escape(comment)}</textarea>"
        f'<p class="form-error" role="alert">{html.escape(error)}</p>'
        '<button type="submit" class="primary">Enviar avaliação</button></form>'
    )


async def survey_page(request: Request) -> Response:
    token = request.path_params["token"]
    if request.method == "POST":
        return await _answer(request, token)
    survey = await csat.find_survey(token)
    if survey is None:
        return page(404, *NOT_FOUND)
    if survey.answered:
        return page(200, *ANSWERED)
    return page(200, "Avalie o atendimento", form(survey.workspace_name))


async def _answer(request: Request, token: str) -> Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return page(413, "Envio grande demais", "<p>O comentário é longo demais.</p>")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return page(413, "Envio grande demais", "<p>O comentário é longo demais.</p>")
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
            return page(409, *ANSWERED)
        survey = await csat.find_survey(token) if problem.code == "INVALID" else None
        if survey is None:
            return page(404, *NOT_FOUND)
        if survey.answered:
            return page(409, *ANSWERED)
        message = (
            "Escolha uma nota de 1 a 5."
            if problem.field == ["rating"]
            else f"O comentário deve ter até {csat.MAX_COMMENT_CHARS} caracteres, sem caracteres de controle."
        )
        return page(422, "Avalie o atendimento", form(survey.workspace_name, message, rating, comment))
    return page(200, *THANKS)


routes = [Route("/csat/{token}", survey_page, methods=["GET", "POST"])]
