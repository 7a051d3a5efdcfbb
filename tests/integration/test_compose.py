"""docker-compose.yml, Dockerfile and .env.example agree with the settings (no Docker engine here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dispatch.settings import Settings
from tests.conftest import REPO

POSTGRES_IMAGE_VARS = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def test_compose_runs_postgres_16_redis_7_two_api_replicas_and_a_dispatch_process(compose):
    """The services the issue asks for, with the right images and replica count."""
    services = compose["services"]
    assert {"postgres", "redis", "api", "dispatch", "migrate"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["api"]["deploy"]["replicas"] == 2
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "pgdata" in compose["volumes"]


def test_every_long_running_service_has_a_health_check_and_waits_for_its_dependencies(compose):
    """Health checks everywhere; the app waits for healthy databases and a finished migration."""
    services = compose["services"]
    for name in ("postgres", "redis", "api", "dispatch"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("api", "dispatch"):
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == deps["redis"]["condition"] == "service_healthy"
        assert deps["migrate"]["condition"] == "service_completed_successfully"


def test_the_api_port_is_the_serve_port_and_only_the_api_processes_skip_the_dispatch_loop(compose):
    """Container port 8000 is what `coopdispatch serve --port` binds; the loop runs in one place."""
    services = compose["services"]
    api, dispatch = services["api"], services["dispatch"]
    assert all(p.endswith(":8000") for p in api["ports"])
    assert api["command"][api["command"].index("--port") + 1] == "8000"
    assert "ports" not in dispatch
    api_settings = Settings(**env_example(), **{k.lower(): v for k, v in api["environment"].items()})
    loop_settings = Settings(**env_example(), **{k.lower(): v for k, v in dispatch["environment"].items()})
    assert (api_settings.run_dispatch_loop, api_settings.background_jobs) == (False, False)
    assert (loop_settings.run_dispatch_loop, loop_settings.background_jobs) == (True, True)


def test_every_variable_of_the_env_example_is_a_setting_or_a_postgres_image_variable(compose):
    """No typo can silently drop a setting; the URLs point at the compose services."""
    fields = {name.upper() for name in Settings.model_fields}
    env = env_example()
    unknown = set(env) - fields - POSTGRES_IMAGE_VARS
    assert not unknown, f"not settings: {unknown}"
    settings = Settings(**{k.lower(): v for k, v in env.items() if k not in POSTGRES_IMAGE_VARS})
    assert settings.coopdispatch_env == "production"
    assert settings.database_url.startswith("postgresql://") and "@postgres:5432/" in settings.database_url
    assert settings.database_url.endswith("/" + env["POSTGRES_DB"])
    assert env["POSTGRES_PASSWORD"] in settings.database_url
    assert settings.bus_url.startswith("redis://redis:6379")
    for name in ("api", "dispatch", "migrate", "postgres"):
        files = [f["path"] for f in compose["services"][name]["env_file"]]
        assert ".env.example" in files, name


def test_the_image_installs_the_package_on_python_3_11_slim():
    """The Dockerfile builds the `coopdispatch` command the compose services run."""
    text = Path(REPO / "Dockerfile").read_text()
    assert text.startswith("# ") and "FROM python:3.11-slim" in text
    assert "pip install ." in text and '"coopdispatch", "serve"' in text
