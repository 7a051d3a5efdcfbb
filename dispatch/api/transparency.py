"""The public transparency page (no login): prices, their history and how the dispatch decides.

``GET /coops/{slug}/transparency?lang=fr|en`` is plain server-rendered HTML (no JavaScript);
``GET /api/v1/coops/{slug}/rule-sets`` is the same content as JSON, in both languages.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from dispatch.api.deps import Ctx
from dispatch.api.problems import problem_responses
from dispatch.api.responses_people import PublicRuleSets
from dispatch.domain.dispatch_text import describe_dispatch, weights_to_dict
from dispatch.domain.fee_dicts import rule_set_to_dict
from dispatch.domain.fees import RuleSet, describe_rule_set, describe_rule_set_history
from dispatch.domain.money import LANGS, Lang
from dispatch.services.fees import public_rule_sets
from routing.planning.problem import Weights

router = APIRouter(tags=["transparency"])
LangQuery = Annotated[Literal["fr", "en"] | None, Query(description="fr or en (default: the coop's)")]

_WORDS = {
    "fr": {"title": "Transparence", "prices": "Nos prix et leur partage",
           "none": "La coopérative n'a pas encore adopté de grille de prix.",
           "history": "Historique des grilles adoptées", "dispatch": "Comment le dispatch décide",
           "data": "Les mêmes informations en JSON", "other": "English"},
    "en": {"title": "Transparency", "prices": "Our prices and how they are shared",
           "none": "The co-op has not adopted a price rule set yet.",
           "history": "Rule sets adopted so far", "dispatch": "How the dispatch decides",
           "data": "The same information as JSON", "other": "Français"},
}


def _policy(ctx: Any) -> Literal["nearest", "solver"]:
    return "nearest" if ctx.settings.dispatch_policy == "nearest" else "solver"


@router.get("/api/v1/coops/{slug}/rule-sets", summary="A co-op's fee rules and dispatch, public",
            operation_id="rule_sets_public", response_model=PublicRuleSets, responses=problem_responses("not-found"))
def rule_sets(slug: str, ctx: Ctx) -> dict[str, Any]:
    """Current rule set, every version (newest first) and the dispatch objective, in fr and en."""
    coop, history, current = public_rule_sets(ctx, slug)
    weights, policy = Weights(), _policy(ctx)
    newest_first = sorted(history, key=lambda r: (r.effective_from, r.version), reverse=True)
    return {
        "coop": {"slug": coop.slug, "name": coop.name, "currency": coop.currency},
        "current": None if current is None else {
            "rule_set": rule_set_to_dict(current),
            "text": {lang: describe_rule_set(current, lang) for lang in LANGS}},
        "history": [rule_set_to_dict(r) for r in newest_first],
        "history_text": {lang: describe_rule_set_history(history, lang) for lang in LANGS},
        "dispatch": {"policy": policy, "weights": weights_to_dict(weights),
                     "text": {lang: describe_dispatch(weights, policy, lang) for lang in LANGS}},
    }


def _paragraphs(texts: list[str]) -> str:
    return "\n".join(f"<p>{escape(t)}</p>" for t in texts)


def _version(rules: RuleSet, lang: Lang, in_force: bool) -> str:
    """One adopted version with all its numbers (not only its own words): a version whose text
    promises what its figures do not keep is visible as such."""
    mark = ("<p><strong>" + {"fr": "En vigueur aujourd'hui.", "en": "In force today."}[lang]
            + "</strong></p>\n") if in_force else ""
    head, *rest = describe_rule_set(rules, lang)
    return (f'<li id="v{rules.version}"><article><h3>{escape(head)}</h3>\n{mark}'
            f"{_paragraphs(rest)}</article></li>")


def _page(name: str, slug: str, lang: Lang, current: RuleSet | None, history: list[RuleSet],
          dispatch: list[str]) -> str:
    w = _WORDS[lang]
    other = "en" if lang == "fr" else "fr"
    prices = _paragraphs(describe_rule_set(current, lang)) if current else f"<p>{w['none']}</p>"
    past = "\n".join(_version(r, lang, r is current) for r in
                     sorted(history, key=lambda r: (r.effective_from, r.version), reverse=True))
    title = f"{w['title']} — {escape(name)}"
    return f"""<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;
line-height:1.5}}h1{{font-size:1.6rem}}h2{{font-size:1.2rem;margin-top:2rem}}</style></head>
<body>
<nav><a href="?lang={other}" hreflang="{other}" lang="{other}">{w['other']}</a></nav>
<h1>{title}</h1>
<section id="prices"><h2>{w['prices']}</h2>
{prices}
</section>
<section id="history"><h2>{w['history']}</h2>
<ol>
{past}
</ol>
</section>
<section id="dispatch"><h2>{w['dispatch']}</h2>
{_paragraphs(dispatch)}
</section>
<footer><p><a href="/api/v1/coops/{escape(slug)}/rule-sets">{w['data']}</a></p></footer>
</body>
</html>
"""


@router.get("/coops/{slug}/transparency", response_class=HTMLResponse, operation_id="transparency_page",
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}},
                       **problem_responses("not-found")},
            summary="Public transparency page (HTML)")
def transparency_page(slug: str, ctx: Ctx, lang: LangQuery = None) -> HTMLResponse:
    """Prices, their split, their history and the dispatch objective, in French or English."""
    coop, history, current = public_rule_sets(ctx, slug)
    chosen: Lang = lang or ("en" if coop.locale.startswith("en") else "fr")
    dispatch = describe_dispatch(Weights(), _policy(ctx), chosen)
    html = _page(coop.name, coop.slug, chosen, current, history, dispatch)
    return HTMLResponse(html, headers={"Content-Language": chosen})
