"""Planning: the dispatch problem (``problem``), the search that solves it (``solver``), the
objective's terms (``plans``, ``insertion``), explanations (``explain``), reasons a delivery
cannot be planned (``reasons``) and the independent plan checker (``check``).
"""
