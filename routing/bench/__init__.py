"""Benchmark mode and its instances; the running service never imports this package.

- ``bench_search``: fewest vehicles, then distance, for hard-window benchmarks such as Li &
  Lim (``routing.planning.solver.solve`` in ``Mode.BENCHMARK`` comes here) on two cores: the
  planner's own engine with the benchmark objective (``routing.planning.engine``, its route
  minimisation ``fleet`` and its ruin and recreate ``search``) when its slack tables fit the
  instance, OR-Tools (``ortools_model``, with the Python ejection search of ``ejection``)
  otherwise.
- ``lilim`` (the Li & Lim reader) and ``synthetic`` (small random cities for tests and the
  speed benchmarks).
"""
