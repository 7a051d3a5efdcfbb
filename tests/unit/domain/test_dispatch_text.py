"""The public "how dispatch decides" text is written from the objective's own weights."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dispatch.domain.dispatch_text import describe_dispatch, weights_to_dict
from routing.planning.problem import Weights


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_text_names_fairness_bundling_and_commitment_with_their_numbers(lang):
    """Changing a weight changes the published words: they cannot drift from what the solver does."""
    w = replace(Weights(), floor_short_per_cent=777, bundle_detour_s=13 * 60, commit_ahead_stops=3, commit_wait_s=95)
    text = " ".join(describe_dispatch(w, "solver", lang))
    assert "777" in text and " 13 minutes" in text and "3 " in text
    assert (" 95 secondes" if lang == "fr" else " 95 seconds") in text
    assert ("plancher" if lang == "fr" else "floor") in text
    assert weights_to_dict(w)["bundle_detour_s"] == 780
