"""Domain errors, mapped to HTTP by ``dispatch.api.problems`` (input / conflict / not found);
each class names its problem ``type`` (``problem_type``, documented at ``/problems/<slug>``).

Error tree::

    DomainError
    ├── InvalidInput            -> 422  (names the field)
    │   ├── OutsideArea         (a place outside the service area)
    │   ├── IdempotencyConflict (a key reused with another body)
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
    problem_type = "bad-request"  # the slug of its problem ``type`` (``/problems/<slug>``)

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"
    problem_type = "invalid-input"


class NotFound(DomainError):
    status = 404
    title = "Not found"
    problem_type = "not-found"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    problem_type = "forbidden"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    problem_type = "conflict"


class OutsideArea(InvalidInput):
    """A pickup or dropoff outside the co-op's service area."""

    title = "Outside the service area"
    problem_type = "outside-area"


class IdempotencyConflict(InvalidInput):
    """An Idempotency-Key already used with another request body."""

    title = "Idempotency-Key reused"
    problem_type = "idempotency-conflict"


class IllegalTransition(Conflict):
    """An action that the delivery's current status does not allow."""

    title = "Illegal transition"
    problem_type = "illegal-transition"

    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            f"cannot {action} a delivery that is {status}", field="status"
        )
        self.current_status = status
        self.action = action


class StaleVersion(Conflict):
    title = "Stale version"
    problem_type = "stale-version"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"the delivery is at version {actual}, the request was made against version {expected}",
            field="version",
        )
