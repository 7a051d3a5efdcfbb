"""Read tiles from a basemap archive (MBTiles: SQLite, TMS row order, gzip-compressed tiles)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class TileArchive:
    """A read-only MBTiles file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        rows = self._db.execute("SELECT name, value FROM metadata").fetchall()
        self.metadata: dict[str, str] = {str(k): str(v) for k, v in rows}

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at XYZ ``z/x/y`` (gzip-compressed protobuf), or None where there is none."""
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, (1 << z) - 1 - y)).fetchone()
        return None if row is None else bytes(row[0])

    def zoom_range(self) -> tuple[int, int]:
        """(min, max) zoom cut into the archive."""
        return int(self.metadata.get("minzoom", 0)), int(self.metadata.get("maxzoom", 0))

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
