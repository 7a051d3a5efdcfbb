"""Settings as an operator meets them: lists are comma-separated, a bad value stops every command
with one line per variable (name and expected format, no traceback), and the README's
configuration table lists every setting."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from dispatch.settings import Settings, SettingsError, load_settings
from tests.conftest import REPO

BAD = {"WEBHOOK_ALLOW_PORTS": "80,http", "DISPATCH_POLICY": "fastest", "SOLVER_TIME_LIMIT_S": "soon",
       "RUN_DISPATCH_LOOP": "maybe"}


def test_list_settings_take_comma_separated_values_and_still_json():
    """WEBHOOK_ALLOW_HOSTS=a,b is two hosts; a JSON list and an empty value work too."""
    env = {"WEBHOOK_ALLOW_HOSTS": "hooks.example.org, shop.example.org", "WEBHOOK_ALLOW_PORTS": "80,8443"}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        settings = load_settings()
        assert settings.webhook_allow_hosts == ["hooks.example.org", "shop.example.org"]
        assert settings.webhook_allow_ports == [80, 8443]
        mp.setenv("WEBHOOK_ALLOW_HOSTS", '["a.example"]')
        assert load_settings().webhook_allow_hosts == ["a.example"]
        mp.setenv("WEBHOOK_ALLOW_HOSTS", "")
        assert load_settings().webhook_allow_hosts == []


def test_every_bad_setting_is_one_line_naming_the_variable_and_the_format():
    """Four bad variables: four lines, each with its name, the expected format and the value."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in BAD.items():
            mp.setenv(name, value)
        with pytest.raises(SettingsError) as caught:
            load_settings()
    lines = str(caught.value.code).splitlines()[1:]
    assert sorted(lines) == sorted([
        "WEBHOOK_ALLOW_PORTS: expected comma-separated integers (a,b), got '80,http'",
        "DISPATCH_POLICY: expected one of nearest, solver, got 'fastest'",
        "SOLVER_TIME_LIMIT_S: expected a number, got 'soon'",
        "RUN_DISPATCH_LOOP: expected true or false, got 'maybe'"])


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "dispatch.cli", "pseudonymise"],
    [sys.executable, "-m", "dispatch.cli", "serve", "--port", "1"],
    [sys.executable, "-c", "import dispatch.asgi"],  # what uvicorn imports
])
def test_a_bad_setting_stops_each_command_with_lines_not_a_traceback(command, tmp_path):
    """The command exits non-zero; stderr has the variable's line and no traceback."""
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "WEBHOOK_ALLOW_PORTS": "http"}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert "WEBHOOK_ALLOW_PORTS: expected comma-separated integers (a,b), got 'http'" in done.stderr


def test_the_readme_configuration_table_lists_every_setting():
    """Each field of Settings has a row `| `NAME` | ...` in the README, and no row names a ghost."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section, flags=re.MULTILINE))
    fields = {name.upper() for name in Settings.model_fields}
    assert not fields - rows, f"settings missing from the README table: {sorted(fields - rows)}"
    assert not rows - fields, f"README rows that are not settings: {sorted(rows - fields)}"
