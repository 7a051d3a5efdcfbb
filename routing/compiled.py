"""How the routing core compiles its inner loops: ``njit``, cached on disk when it can be.

numba writes the machine code beside the module (``__pycache__``) or in its user cache folder
when that is read-only, so a process pays for compiling once and later processes load it in
well under a second; with no writable folder at all, the loops are compiled in memory in every
process. The street code and the planner both use this, and neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit


def compiled(signature: str | None = None) -> Callable[[Any], Any]:
    """A decorator: ``njit`` (for ``signature`` when given, else lazily typed), nogil, cached."""
    def compile_(fn: Any) -> Any:
        try:
            return njit(signature, cache=True, nogil=True)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return njit(signature, nogil=True)(fn)
    return compile_
