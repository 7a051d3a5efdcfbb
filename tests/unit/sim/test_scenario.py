"""Scenario CSVs: round trip, and every error names its file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatch.cli import app
from dispatch.sim.scenario import ScenarioError, read_scenario, write_scenario

ORDERS = """order_id,placed_at,ready_at,pickup_x,pickup_y,dropoff_x,dropoff_y,load_kg
o1,12:00,12:10,0,0,1000,0,2.5
o2,12:05,12:15,0,0,0,1500,1
"""
COURIERS = """courier_id,shift_start,shift_end,start_x,start_y,vehicle
c1,11:55,13:00,0,0,bike
"""


def folder(tmp_path: Path, orders: str = ORDERS, couriers: str = COURIERS) -> Path:
    (tmp_path / "orders.csv").write_text(orders, encoding="utf-8")
    (tmp_path / "couriers.csv").write_text(couriers, encoding="utf-8")
    return tmp_path


def test_a_written_scenario_reads_back_the_same(tmp_path, two_couriers_six_orders):
    """write_scenario then read_scenario keeps every order and courier."""
    back = read_scenario(write_scenario(two_couriers_six_orders, tmp_path / "s"))
    assert back.coords == "xy" and len(back.orders) == 6 and len(back.couriers) == 2
    assert [(o.order_id, o.placed_s, o.pickup, o.load_g) for o in back.orders] == \
        [(o.order_id, o.placed_s, o.pickup, o.load_g) for o in two_couriers_six_orders.orders]


@pytest.mark.parametrize(("orders", "where", "words"), [
    (ORDERS.replace("o2,12:05,12:15", "o2,12:05,12:7x"), "orders.csv:3:3:", "ready_at"),
    (ORDERS.replace("o2,12:05,12:15", "o2,12:05,12:01"), "orders.csv:3:3:", "before placed_at"),
    (ORDERS.replace(",1\n", ",heavy\n"), "orders.csv:3:8:", "not a number"),
    (ORDERS.replace("o2,", "o1,"), "orders.csv:3:1:", "duplicated"),
    (ORDERS.replace(",2.5\n", "\n"), "orders.csv:2:8:", "7 cells"),
    (ORDERS.replace(",load_kg", ",weight"), "orders.csv:1:8:", "unknown column 'weight'"),
    (ORDERS.replace("pickup_x,pickup_y,", ""), "orders.csv:1:", "pickup_lat"),
])
def test_a_bad_orders_file_is_reported_with_file_line_and_column(tmp_path, orders, where, words):
    """Each mistake points at its cell: file:line:column, then what is wrong."""
    with pytest.raises(ScenarioError) as caught:
        read_scenario(folder(tmp_path, orders=orders))
    assert str(caught.value).startswith(where) and words in str(caught.value)


def test_a_bad_vehicle_points_at_the_vehicle_column(tmp_path):
    """An unknown vehicle kind is reported on couriers.csv, line 2, column 6."""
    with pytest.raises(ScenarioError, match=r"^couriers.csv:2:6: vehicle: 'scooter' is not one of"):
        read_scenario(folder(tmp_path, couriers=COURIERS.replace("bike", "scooter")))


def test_the_cli_prints_the_scenario_error_and_exits_2(tmp_path):
    """``coopdispatch simulate DIR`` with a broken file: exit code 2 and the located message."""
    bad = folder(tmp_path, orders=ORDERS.replace("12:10", "25:99"))
    result = CliRunner().invoke(app, ["simulate", str(bad), "--policy", "nearest"])
    assert result.exit_code == 2
    assert "orders.csv:2:3: ready_at" in result.output.replace("\n", "")


def test_the_cli_simulates_a_planar_scenario_and_prints_result_lines(tmp_path):
    """A planar scenario folder runs end to end and ends with one RESULT line per policy."""
    result = CliRunner().invoke(app, ["simulate", str(folder(tmp_path)), "--compare", "nearest,solver",
                                      "--solver-time-limit", "0", "--json", str(tmp_path / "k.json")])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("RESULT ")]
    assert [ln.split()[1] for ln in lines] == ["policy=nearest", "policy=solver"]
    assert '"differences"' in (tmp_path / "k.json").read_text()
