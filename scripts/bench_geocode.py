"""Benchmark the address index on the shipped map and the shared OSM maps.

For each map: build the index (time, size of its stored rows), sample up to ``--sample``
address objects of the map itself and ask for each
- exact: "street number" (the map's spelling) -> top result within 30 m of the object;
- typo: the same with one random edit in the street name (swap, drop, double or change a letter);
- reordered: "number street, postcode" (objects with a postcode);
and time autocomplete per keystroke (every prefix of the "street number" queries) on the
largest map. Ends with one line:
``RESULT exact_top1= typo_top1= reordered_top1= p95_ms= build_s= index_mb=``
(top-1 shares over all maps' samples; p95 on the largest map; build time and index size of the
largest map). Figures depend on the machine's load: take final ones on a quiet machine.

    .venv/bin/python scripts/bench_geocode.py [--sample 1000] [--maps a.osm.pbf b.osm.bz2] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.places import PlaceIndex, PlaceRecord, records_from_osm  # noqa: E402
from routing.places.text import housenumber_key, normalise, number_first  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "osm"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(name: str, rng: random.Random) -> str:
    """One random edit inside a letter run of ``name`` (never the first letter)."""
    spots = [i for i in range(1, len(name)) if name[i].isalpha()]
    if not spots:
        return name
    i = rng.choice(spots)
    kind = rng.choice(("swap", "drop", "double", "change"))
    if kind == "swap" and i + 1 < len(name) and name[i + 1].isalpha() and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if kind == "drop":
        return name[:i] + name[i + 1:]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + rng.choice([c for c in LETTERS if c != name[i].lower()]) + name[i + 1:]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    k = math.cos(math.radians(a[0]))
    return math.hypot(a[0] - b[0], (a[1] - b[1]) * k) * 111_195.0


def top_ok(index: PlaceIndex, query: str, targets: list[PlaceRecord]) -> bool:
    """The first result lies within 30 m of one of ``targets``: the map's objects that carry
    this very address (OSM often tags one address on a building and on each shop in it, tens
    of metres apart; any of them is the right door)."""
    hits = index.search(query, limit=1)
    return bool(hits) and any(metres((hits[0].lat, hits[0].lon), (t.lat, t.lon)) <= 30.0 for t in targets)


def same_address(doors: list[PlaceRecord]) -> dict[tuple[str, str], list[PlaceRecord]]:
    out: dict[tuple[str, str], list[PlaceRecord]] = defaultdict(list)
    for r in doors:
        out[(normalise(r.street), housenumber_key(r.housenumber))].append(r)
    return out


def index_mb(records: list[PlaceRecord]) -> float:
    """Size of the stored rows (what the ``places`` table holds), as JSON-ish text."""
    size = 0
    for r in records:
        size += len(json.dumps([r.kind, r.name, r.street, r.housenumber, r.postcode, r.city,
                                round(r.lat, 7), round(r.lon, 7), r.ref,
                                [[list(p) for p in line] for line in r.geometry]]))
    return size / 1e6


def bench_map(path: Path, sample: int, rng: random.Random) -> dict[str, float]:
    started = time.perf_counter()
    records = records_from_osm(path)
    index = PlaceIndex(records)
    build_s = time.perf_counter() - started
    doors = [r for r in records if r.kind == "address"]
    picked = rng.sample(doors, min(sample, len(doors)))
    groups = same_address(doors)
    twins = {id(r): groups[(normalise(r.street), housenumber_key(r.housenumber))] for r in picked}
    exact = sum(top_ok(index, f"{r.street} {r.housenumber}", twins[id(r)]) for r in picked)
    typos = sum(top_ok(index, f"{typo(r.street, rng)} {r.housenumber}", twins[id(r)]) for r in picked)
    with_pc = [r for r in picked if r.postcode]
    reordered = sum(top_ok(index, f"{r.housenumber} {r.street}, {r.postcode}",
                           [t for t in twins[id(r)] if t.postcode == r.postcode]) for r in with_pc)
    keystrokes = []
    for r in picked[:200]:
        text = f"{r.housenumber} {r.street}" if number_first(r.street) else f"{r.street} {r.housenumber}"
        for k in range(1, len(text) + 1):
            t = time.perf_counter()
            index.search(text[:k], near=(r.lat, r.lon))
            keystrokes.append((time.perf_counter() - t) * 1000)
    out = {"map": path.name, "records": len(records), "doors": len(doors), "sampled": len(picked),
           "exact": exact, "typo": typos, "reordered": reordered, "with_postcode": len(with_pc),
           "p95_ms": float(np.percentile(keystrokes, 95)) if keystrokes else 0.0,
           "p50_ms": float(np.percentile(keystrokes, 50)) if keystrokes else 0.0,
           "build_s": build_s, "index_mb": index_mb(records), "size": path.stat().st_size}
    print(f"{path.name}: {len(records)} records, {len(doors)} doors, sampled {len(picked)}: "
          f"exact {exact}/{len(picked)}, typo {typos}/{len(picked)}, reordered {reordered}/{len(with_pc)}, "
          f"keystroke p50 {out['p50_ms']:.2f} / p95 {out['p95_ms']:.2f} ms, build {build_s:.2f} s, "
          f"rows {out['index_mb']:.2f} MB",
          flush=True)
    return out


def main() -> None:
    from routing.streets.network import default_map_path

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--maps", nargs="*", type=Path)
    args = parser.parse_args()
    maps = args.maps or [default_map_path(), *sorted(SHARED.glob("*.osm*"))]
    rng = random.Random(args.seed)
    results = [bench_map(p, args.sample, rng) for p in maps if p.is_file()]
    n = sum(r["sampled"] for r in results) or 1
    n_pc = sum(r["with_postcode"] for r in results) or 1
    largest = max(results, key=lambda r: r["size"])
    print(f"RESULT exact_top1={sum(r['exact'] for r in results) / n:.3f} "
          f"typo_top1={sum(r['typo'] for r in results) / n:.3f} "
          f"reordered_top1={sum(r['reordered'] for r in results) / n_pc:.3f} "
          f"p95_ms={largest['p95_ms']:.2f} build_s={largest['build_s']:.2f} index_mb={largest['index_mb']:.2f}")


if __name__ == "__main__":
    main()
