"""Field types every edge model uses (API bodies, socket messages): bounded dates and times.

``Instant`` is an aware datetime and ``Day`` a date, both inside :mod:`dispatch.domain.instants`'
range; a naive or out-of-range value is a validation error naming the field (422 over HTTP, an
error frame on the socket), never an exception further in. Text needs no type of its own: control
characters are refused for every request at once by :mod:`dispatch.api.inputs`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

from dispatch.domain.instants import RANGE_TEXT, check_day, check_instant

Instant = Annotated[AwareDatetime, AfterValidator(check_instant),
                    Field(description=f"ISO 8601 with a time zone, {RANGE_TEXT}")]
Day = Annotated[date, AfterValidator(check_day), Field(description=f"YYYY-MM-DD, {RANGE_TEXT}")]
