"""``GET /problems/<slug>``: the page a problem's ``type`` points at, saying what the problem
means and what a client should do (``GET /problems``: all of them). Plain HTML, no login."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from dispatch.api.problems import KINDS, ProblemKind
from dispatch.domain.errors import NotFound

router = APIRouter(prefix="/problems", include_in_schema=False)
STYLE = ("body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;"
         "line-height:1.5}code{background:#f3f3f3;padding:0 .2em}dt{font-weight:600;margin-top:1rem}")


def _html(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — coopdispatch</title><style>{STYLE}</style></head>
<body>{body}</body></html>
""", headers={"Cache-Control": "public, max-age=86400"})


def _docs(kind: ProblemKind) -> str:
    """The text with `code` spans as <code>."""
    parts = escape(kind.docs).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


@router.get("", response_class=HTMLResponse)
def index() -> HTMLResponse:
    items = "\n".join(f'<dt><a href="/problems/{k.slug}">{escape(k.title)}</a> '
                      f"<code>{k.type}</code> ({k.status})</dt><dd>{_docs(k)}</dd>"
                      for k in sorted(KINDS.values(), key=lambda k: (k.status, k.slug)))
    return _html("Problem types", "<h1>Problem types of the coopdispatch API</h1>\n<p>Every error is "
                 "<code>application/problem+json</code> (RFC 9457); key on its <code>type</code>.</p>"
                 f"\n<dl>\n{items}\n</dl>")


@router.get("/{slug}", response_class=HTMLResponse)
def page(slug: str) -> HTMLResponse:
    kind = KINDS.get(slug)
    if kind is None:
        raise NotFound(f"no problem type {slug}", field="slug")
    return _html(kind.title, f"""<h1>{escape(kind.title)}</h1>
<p><code>type: "{kind.type}"</code>, HTTP status {kind.status}.</p>
<p>{_docs(kind)}</p>
<p><strong>What to do:</strong> {escape(kind.retry)}.</p>
<p><a href="/problems">Every problem type</a></p>""")
