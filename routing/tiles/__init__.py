"""Vector tiles of a co-op's OSM extract for the basemap (built at map import)."""
