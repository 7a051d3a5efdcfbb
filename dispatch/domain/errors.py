"""Domain errors, mapped to HTTP by ``dispatch.api.problems`` (input / conflict / not found).

Error tree::

    DomainError
    ├── InvalidInput            -> 422  (names the field)
    │   └── FloorNotMet lives in fees.py and maps to 422 too
    ├── NotFound                -> 404  (also used for objects of another owner)
    ├── Forbidden               -> 403
    └── Conflict                -> 409
        ├── IllegalTransition   (names the current status and the action)
        └── StaleVersion        (the row changed since the client read it)
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain and services raise on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class IllegalTransition(Conflict):
    """An action that the delivery's current status does not allow."""

    title = "Illegal transition"

    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            f"cannot {action} a delivery that is {status}", field="status"
        )
        self.current_status = status
        self.action = action


class StaleVersion(Conflict):
    title = "Stale version"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"the delivery is at version {actual}, the request was made against version {expected}",
            field="version",
        )
