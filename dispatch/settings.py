"""Settings from the environment (pydantic-settings). Defaults are the embedded mode.

Fails fast on bad configuration: outside dev/test mode the secret key must be set.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-insecure-secret-change-me"


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
    webhook_allow_hosts: list[str] = Field(default_factory=list,
                                           description="TESTS ONLY: hosts exempt from the private-address refusal")
    webhook_retry_base_s: float = 10.0
    webhook_retry_max_s: float = 3600.0
    webhook_give_up_after_s: float = 26 * 3600.0
    webhook_poll_s: float = 2.0
    log_format: Literal["text", "json"] = "text"
    # authentication and secrets (issue 16)
    forwarded_allow_ips: str = Field(default="", description=(
        "comma-separated proxy addresses or networks whose X-Forwarded-For/-Proto are believed; "
        "empty: none (the peer address is the client)"))
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
    login_free_failures: int = 3  # per account (per address: 5x); past them each failure doubles the wait
    login_max_delay_s: int = 300  # the longest wait a failed login can cause, never a lock-out
    metrics_token: str = Field(default="", description="Bearer token that /metrics requires; empty: /metrics is off")
    webhook_allow_ports: list[int] = Field(default_factory=lambda: [80, 443])

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
