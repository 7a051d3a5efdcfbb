"""Pure routing core, one sub-package per role.

- ``routing.streets``: the street map: OSM reading, the graph, snapping, the contraction
  hierarchy and travel matrices (``network.StreetNetwork`` is the one entry point).
- ``routing.planning``: the dispatch problem and its answer, the search engine, the objective,
  explanations and the plan checker (``solver.solve`` is the one entry point).
- ``routing.places`` (addresses and search) and ``routing.tiles`` (basemap tiles), both read
  from the same OSM extract.
- ``routing.bench``: benchmark mode's search (hard windows, fewest vehicles then distance) and
  the instance readers and generators for benchmarks and tests; the service never imports it.

Nothing here touches the network, a database or the clock; ``routing`` never imports ``dispatch``.
"""
