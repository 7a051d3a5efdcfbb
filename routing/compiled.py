"""How the routing core compiles its inner loops: ``njit``, cached on disk when it can be.

numba writes the machine code beside the module (``__pycache__``) or in its user cache folder
when that is read-only, so a process pays for compiling once and later processes load it in
well under a second; with no writable folder at all, the loops are compiled in memory in every
process. The street code and the planner both use this, and neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from numba import njit


def compiled(signature: str | None = None, *, inline: bool = False) -> Callable[[Any], Any]:
    """A decorator: ``njit`` (for ``signature`` when given, else lazily typed), nogil, cached.

    ``inline``: a small helper of a hot loop, inlined into its callers by numba (a call per
    candidate costs as much as the helper's work)."""
    how: Literal["always", "never"] = "always" if inline else "never"

    def compile_(fn: Any) -> Any:
        try:
            return njit(signature, cache=True, nogil=True, inline=how)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return njit(signature, nogil=True, inline=how)(fn)
    return compile_
