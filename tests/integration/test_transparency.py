"""The public transparency page and its JSON: prices, history and the dispatch objective, in
French and English, without logging in."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from routing.planning.problem import Weights
from tests.integration.api_client import login
from tests.integration.test_fees_api import ADMIN_EMAIL, adopt


def test_the_transparency_page_shows_rules_history_and_dispatch_weights_in_both_languages(client, world):
    """No login: the French and English pages and the JSON show the version in force, every
    version adopted, and the objective's weights; an unknown co-op is a 404."""
    tomorrow = (datetime.now(ZoneInfo("Europe/Helsinki")) + timedelta(days=1)).date().isoformat()
    admin = login(client, ADMIN_EMAIL, world.password)
    assert adopt(client, admin, effective_from=tomorrow, adopted_by="AG du 24, 31 pour").status_code == 201

    data = client.get("/api/v1/coops/demo/rule-sets").json()
    assert data["current"]["rule_set"]["version"] == 1
    assert [r["version"] for r in data["history"]] == [2, 1]
    assert data["dispatch"]["weights"]["lateness_per_s"] == Weights().lateness_per_s
    assert set(data["dispatch"]["text"]) == set(data["current"]["text"]) == {"fr", "en"}

    pages = {lang: client.get("/coops/demo/transparency", params={"lang": lang}) for lang in ("fr", "en")}
    assert {lang: p.status_code for lang, p in pages.items()} == {"fr": 200, "en": 200}
    fr, en = pages["fr"].text, pages["en"].text
    assert pages["fr"].headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in fr and "Comment le dispatch décide" in fr and "en vigueur" in fr
    assert '<html lang="en">' in en and "How the dispatch decides" in en and "in effect" in en
    for page in (fr, en):
        assert "Version 1" in page and "Version 2" in page and "AG du 24, 31 pour" in page
        # French groups thousands with a narrow no-break space, English with a comma
        assert f"{Weights().churn_per_move} points" in page.replace("\u202f", "").replace(",", "")
        assert "<script" not in page
    assert client.get("/coops/nowhere/transparency").status_code == 404
    assert client.get("/coops/demo/transparency", params={"lang": "de"}).status_code == 422
