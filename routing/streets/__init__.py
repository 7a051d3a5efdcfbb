"""The street map: OSM extract -> graph -> snapped points -> travel-time and distance matrices.

``network.StreetNetwork`` is the entry point the service uses; ``matrix`` and ``ch`` answer
many-to-many tables (Dijkstra or the contraction hierarchy built by ``ch_build``),
``live_matrix`` grows a table as points come and go, ``route_geometry`` draws a route along the
streets.
"""
