"""Pure routing core: street graph, travel-time matrices and the dispatch solver.

Nothing here touches the network, a database or the clock; ``routing`` never imports ``dispatch``.
"""
