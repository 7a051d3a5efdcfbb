"""Showing simulation results: a rich table (one column per policy, then the differences), the
JSON document, ``RESULT`` lines, and a plot of lateness and utilization over the day."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from dispatch.sim.kpis import KPIS


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def signed(d: float) -> str:
    """A difference with a sign, never rounded to nothing: 0.0004 is "+0.0004", not "+0"."""
    if d == 0:
        return "0"
    text = f"{d:+.3f}".rstrip("0").rstrip(".")
    if abs(d) < 0.1:  # keep two significant digits of small differences
        text = f"{d:+.2g}" if abs(d) >= 1e-4 else f"{d:+.1e}"
    return text


def _diff(a: Any, b: Any, better: int) -> str:
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return ""
    d = b - a
    if d == 0:
        return "="
    mark = "" if better == 0 else (" better" if d * better > 0 else " worse")
    return signed(d) + mark


def kpi_table(by_policy: dict[str, dict[str, Any]], title: str) -> Table:
    """KPIs per policy; with two or more, the difference of each policy to the first."""
    names = list(by_policy)
    table = Table(title=title)
    table.add_column("KPI")
    for n in names:
        table.add_column(n, justify="right")
    for n in names[1:]:
        table.add_column(f"{n} - {names[0]}", justify="right")
    for key, (label, better) in KPIS.items():
        row = [label] + [_cell(by_policy[n].get(key)) for n in names]
        row += [_diff(by_policy[names[0]].get(key), by_policy[n].get(key), better) for n in names[1:]]
        table.add_row(*row)
    return table


def print_table(console: Console, by_policy: dict[str, dict[str, Any]], title: str) -> None:
    console.print(kpi_table(by_policy, title))


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, allow_nan=False, default=str) + "\n", encoding="utf-8")


def differences(by_policy: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Each policy after the first minus the first, per numeric KPI."""
    names = list(by_policy)
    out: dict[str, dict[str, float]] = {}
    for n in names[1:]:
        out[f"{n}-{names[0]}"] = {
            k: float(f"{by_policy[n][k] - by_policy[names[0]][k]:.6g}") for k in KPIS
            if isinstance(by_policy[n].get(k), int | float) and isinstance(by_policy[names[0]].get(k), int | float)}
    return out


def plot_day(path: Path, curves: dict[str, dict[str, list[float]]], title: str) -> None:
    """PNG or SVG (by ``path``'s suffix): share late and utilization per quarter hour, per policy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for name, c in curves.items():
        top.plot(c["t_h"], [_nan(v) for v in c["late_share"]], marker=".", label=name)
        bottom.plot(c["t_h"], [_nan(v) for v in c["utilization"]], marker=".", label=name)
    top.set_ylabel("share of dropoffs late")
    bottom.set_ylabel("courier utilization")
    bottom.set_xlabel("hour of the day")
    for ax in (top, bottom):
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _nan(v: float) -> float:
    return v if not math.isnan(v) else float("nan")
