"""Every HTML view carries a Content-Security-Policy (this origin only, plus what MapLibre's
workers need), no framing, no sniffing and no referrer; server-rendered pages get no scripts."""

from __future__ import annotations

import pytest

VIEWS = ("/", "/merchant/", "/courier/", "/dispatcher/", "/track/some-link-token")
DOCUMENTS = ("/coops/demo/transparency", "/problems")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_html_view_is_sent_with_the_browser_security_headers(client, world):
    """The five views: CSP with 'self' only (blob: workers for the map), frame-ancestors 'none',
    nosniff, no-referrer; the server-rendered pages allow no script at all."""
    for path in VIEWS + DOCUMENTS:
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        if path in VIEWS:
            assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
            assert directives["worker-src"] == "'self' blob:" and directives["child-src"] == "blob:"
            assert directives["img-src"] == "'self' data: blob:" and directives["connect-src"] == "'self'"
        else:
            assert directives["script-src"] == "'none'"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_json_answers_are_not_sniffed_either(client, world):
    """An API answer is never read as HTML or script by a browser."""
    r = client.get("/api/v1/auth/me")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in r.headers
