"""Benchmark mode and its instances; the running service never imports this package.

- ``bench_search``: fewest vehicles, then distance, for hard-window benchmarks such as Li &
  Lim (``routing.planning.solver.solve`` in ``Mode.BENCHMARK`` comes here): ``pdptw`` (route
  minimisation by ejection and ruin and recreate over the slack-based kernels of
  ``pdptw_kernels``) when the instance fits it, OR-Tools (``ortools_model``) otherwise, and the
  ejection search of ``ejection``.
- ``lilim`` (the Li & Lim reader) and ``synthetic`` (small random cities for tests and the
  speed benchmarks).
"""
