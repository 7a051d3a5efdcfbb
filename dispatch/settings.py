"""Settings from the environment (pydantic-settings). Defaults are the embedded mode.

Fails fast on bad configuration: outside dev/test mode the secret key must be set.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET = "dev-only-insecure-secret-change-me"


def split_commas(value: Any) -> Any:
    """``a,b`` (or a JSON list, as before) -> ``["a", "b"]``; empty -> ``[]``."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


# A list setting from the environment is comma-separated (WEBHOOK_ALLOW_HOSTS=a,b), not JSON.
CommaList = Annotated[list[str], NoDecode, BeforeValidator(split_commas)]
CommaInts = Annotated[list[int], NoDecode, BeforeValidator(split_commas)]


class Settings(BaseSettings):
    """Every knob of the service, read from environment variables of the same name."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    coopdispatch_env: Literal["dev", "test", "production"] = "dev"
    database_url: str = "sqlite:///./coopdispatch.db"
    bus_url: str = "memory://"
    map_path: str | None = Field(default=None, description="OSM file; None = shipped Helsinki map")
    secret_key: str = DEV_SECRET
    dispatch_policy: Literal["nearest", "solver"] = "solver"
    solver_time_limit_s: float = 1.0
    dispatch_tick_s: float = 15.0
    quote_ttl_s: int = 900
    # fair price (issue 16): a quote holds for its ready time give or take this much; the floor
    # no co-op may go below (cents per hour of active time; default: the 2026 French SMIC)
    quote_ready_tolerance_s: int = Field(default=900, ge=0, le=3 * 3600)
    legal_floor_cents_per_hour: int = Field(default=1202, ge=0, le=1_000_000)
    token_ttl_s: int = 12 * 3600
    max_body_bytes: int = 64 * 1024
    outbox_retention: int = 10_000
    serve_static: bool = True
    demo_feed: bool = False
    rate_limit_per_minute: int = 600
    pseudonymise_after_days: int = 30
    # production mode (issue 9): processes, abuse limits, webhooks, logs
    dispatch_planner_process: bool = True  # plan in a child process, off the event loop's GIL
    run_dispatch_loop: bool = True  # False on API replicas when a dedicated process runs the loop
    background_jobs: bool = True  # webhook sender and personal-data clean-up in this process
    login_attempts_per_minute: int = 10  # per account and per client address
    webhook_allow_hosts: CommaList = Field(default_factory=list,
                                           description="TESTS ONLY: hosts exempt from the private-address refusal")
    webhook_retry_base_s: float = 10.0
    webhook_retry_max_s: float = 3600.0
    webhook_give_up_after_s: float = 26 * 3600.0
    webhook_poll_s: float = 2.0
    log_format: Literal["text", "json"] = "text"
    # co-op setup (issue 17): one-time links, optional e-mail, creating co-ops over HTTP
    public_url: str = Field(default="http://127.0.0.1:8000", description="base of one-time links")
    invitation_ttl_h: int = 72
    smtp_host: str | None = Field(default=None, description="no SMTP host: links are only shown")
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "coopdispatch@localhost"
    operator_key: str | None = Field(default=None, description=(
        "the server operator's secret for POST /api/v1/admin/coops; unset: co-ops are created "
        "with the CLI only"))
    # authentication and secrets (issue 16)
    forwarded_allow_ips: str = Field(default="", description=(
        "comma-separated proxy addresses or networks whose X-Forwarded-For/-Proto are believed; "
        "empty: none (the peer address is the client)"))
    login_free_failures: int = 3  # per account (per address: 5x); past them each failure doubles the wait
    login_max_delay_s: int = 300  # the longest wait a failed login can cause, never a lock-out
    metrics_token: str = Field(default="", description="Bearer token that /metrics requires; empty: /metrics is off")
    webhook_allow_ports: CommaInts = Field(default_factory=lambda: [80, 443])

    @model_validator(mode="after")
    def _refuse_dev_secret(self) -> Settings:
        if self.coopdispatch_env == "production" and self.secret_key == DEV_SECRET:
            raise ValueError(
                "SECRET_KEY must be set to a long random value in production mode "
                "(COOPDISPATCH_ENV=production)"
            )
        if self.coopdispatch_env == "production" and len(self.secret_key) < 32:
            raise ValueError("SECRET_KEY must be at least 32 characters in production mode")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SettingsError(SystemExit):
    """Bad configuration: one line per bad variable, naming it and the format it expects.
    A ``SystemExit``: every command stops with these lines and no traceback."""


def expected_format(name: str) -> str:
    """The format a setting expects, in words (from its type)."""
    annotation = Settings.model_fields[name].annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if get_origin(annotation) is list or list in (get_origin(a) for a in args):
        inner = get_args(annotation)[0] if get_origin(annotation) is list else int
        return "comma-separated " + ("integers" if inner is int else "values") + " (a,b)"
    kind = args[0] if args else annotation
    return {int: "an integer", float: "a number", bool: "true or false"}.get(kind, "text")  # type: ignore[arg-type]


def settings_error_lines(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if isinstance(p, str)]
        if loc and loc[0] in Settings.model_fields:
            env = {k.lower(): v for k, v in os.environ.items()}
            got = env.get(loc[0], error.get("input"))  # the whole value, not the bad list item
            lines.append(f"{loc[0].upper()}: expected {expected_format(loc[0])}, got {got!r}")
        else:  # a rule across settings (its message names them)
            lines.append(str(error.get("msg", "invalid settings")).removeprefix("Value error, "))
    return lines


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, or ``SettingsError`` listing every bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError("coopdispatch: bad settings\n" + "\n".join(settings_error_lines(exc))) from None
    except ValueError as exc:  # a list setting whose value is neither a,b nor JSON
        raise SettingsError(f"coopdispatch: bad settings\n{exc}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
