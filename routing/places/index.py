"""The in-process address index of one map: search as you type, resolve, reverse.

Why in process and not SQLite FTS5 / PostgreSQL pg_trgm: the service runs on both databases
and must answer the same on each; FTS5 has no typo tolerance (its trigram tokenizer finds
substrings only) and pg_trgm exists on one backend only. A map's index is small (a city has
tens of thousands of addresses but only a few thousand distinct street and place names), so
the fuzzy part runs over the distinct names only (rapidfuzz, C++), and the numbers are a dict
lookup. The database keeps the rows (one table keyed by map_id); each process builds this
object from them once per map.

A query is read as: house number (``10``, ``10a``, ``10 A``, before or after the street),
postcode (a known postcode of the map), city (a known city, ignored when present) and the
rest, the name, matched fuzzily against street and place names. Ranking: how well the name
matched, whether the number and postcode matched, then distance to ``near`` (the merchant's
pickup).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from scipy.spatial import cKDTree

from routing.places.extract import PlaceRecord
from routing.places.query import Query, parse_query
from routing.places.streets import LocalXY
from routing.places.text import address_label, housenumber_key, normalise

NAME_CUTOFF = 60.0  # rapidfuzz score (0-100) below which a name is not a candidate
CANDIDATE_NAMES = 25
MAX_STARTING = 3000  # names scored in full for a one-letter word
WEAKER_BY = 0.5  # a suggestion this much below the best one is not shown
OTHER_PLACE_M = 300.0  # equal matches farther apart than this are two places (one name, two streets)
NEAR_M = 1000.0  # farther than this from every door, a point gets no "near ..." label (it is off the map)


@dataclass(frozen=True, slots=True)
class Match:
    """One search result: what it is, where, how it matched and how well."""

    kind: str
    label: str
    name: str
    street: str
    housenumber: str
    postcode: str
    city: str
    lat: float
    lon: float
    snapped_lat: float
    snapped_lon: float
    score: float
    matched: tuple[str, ...]
    distance_m: float | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a typed address resolves to: one ``match``, or why not (``none``/``ambiguous``)."""

    match: Match | None
    problem: str  # "" | "none" | "ambiguous" | "no_number"
    candidates: tuple[Match, ...]


def record_label(r: PlaceRecord) -> str:
    """How a record is shown: "Kaivokatu 1, 00100 Helsinki", "Stockmann, Aleksanterinkatu 52"."""
    if r.kind in ("address", "interpolated"):
        label = address_label(r.street, r.housenumber, r.postcode, r.city)
        return f"{r.name}, {label}" if r.name else label
    if r.kind == "street":
        tail = " ".join(p for p in (r.postcode, r.city) if p)
        return f"{r.street}, {tail}" if tail else r.street
    return f"{r.name}, {r.street}" if r.street and normalise(r.street) != normalise(r.name) else r.name


class PlaceIndex:
    """Searchable places of one map (see module docstring). Build once, query from any thread."""

    def __init__(self, records: Sequence[PlaceRecord],
                 snapped: Sequence[tuple[float, float]] | None = None) -> None:
        self.records = list(records)
        self.snapped = list(snapped) if snapped is not None else [(r.lat, r.lon) for r in self.records]
        lat = np.array([r.lat for r in self.records] or [0.0])
        lon = np.array([r.lon for r in self.records] or [0.0])
        self.proj = LocalXY(float(lat.mean()), float(lon.mean()))
        x, y = self.proj.xy(lat, lon)
        self.xy = np.stack([x, y], axis=1)[: len(self.records)]
        self.labels = [record_label(r) for r in self.records]
        self.door_labels = [address_label(r.street, r.housenumber, r.postcode, r.city)
                            if r.name and r.kind in ("address", "interpolated") else "" for r in self.records]
        self._build_names()
        # mistagged values ("7" as a city) must not eat a typed house number
        self.postcodes = frozenset(p for p in (r.postcode.replace(" ", "").lower() for r in self.records)
                                   if len(p) >= 3 and any(c.isdigit() for c in p))
        self.cities = frozenset(c for c in (normalise(r.city) for r in self.records)
                                if len(c) >= 2 and not any(ch.isdigit() for ch in c))
        self._build_reverse()

    def _build_names(self) -> None:
        by_name: dict[str, list[int]] = defaultdict(list)
        numbers: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.street_key = [normalise(r.street) for r in self.records]
        for i, r in enumerate(self.records):
            if r.kind == "street":
                by_name[self.street_key[i]].append(i)
            elif r.kind in ("address", "interpolated"):
                numbers[(self.street_key[i], housenumber_key(r.housenumber))].append(i)
                by_name.setdefault(self.street_key[i], [])
            if r.name:
                by_name[normalise(r.name)].append(i)
        self.street_names = frozenset(self.street_key[i] for i, r in enumerate(self.records) if r.kind == "street")
        self.names = list(by_name)
        self.name_records = [by_name[n] for n in self.names]
        self._starts: dict[str, list[int]] = defaultdict(list)  # first 1-3 letters of a word -> names
        for i, n in enumerate(self.names):
            for prefix in {w[:k] for w in n.split() for k in (1, 2, 3)}:
                self._starts[prefix].append(i)
        self.numbers = dict(numbers)
        self.numbers_of: dict[str, list[str]] = defaultdict(list)
        for street, number in self.numbers:
            self.numbers_of[street].append(number)

    def _build_reverse(self) -> None:
        doors = [i for i, r in enumerate(self.records) if r.kind in ("address", "interpolated", "place")]
        self._doors = np.array(doors, dtype=np.int64)
        self._door_tree = cKDTree(self.xy[self._doors]) if doors else None
        streets = [i for i, r in enumerate(self.records) if r.kind == "street"]
        pts: list[tuple[float, float]] = []
        owner: list[int] = []
        for i in streets:  # points every ~10 m along each street: the nearest is the street
            for line in self.records[i].geometry:
                x, y = self.proj.xy(np.array([p[0] for p in line]), np.array([p[1] for p in line]))
                for k in range(len(x) - 1):
                    n = max(1, int(np.hypot(x[k + 1] - x[k], y[k + 1] - y[k]) // 10))
                    t = np.linspace(0, 1, n, endpoint=False)
                    pts.extend(zip(x[k] + t * (x[k + 1] - x[k]), y[k] + t * (y[k + 1] - y[k]), strict=True))
                    owner.extend([i] * n)
        self._street_owner = np.array(owner, dtype=np.int64)
        self._street_tree = cKDTree(np.array(pts)) if pts else None

    def __len__(self) -> int:
        return len(self.records)

    # -- search ---------------------------------------------------------------------------
    def search(self, text: str, near: tuple[float, float] | None = None, limit: int = 8) -> list[Match]:
        """Best matches for ``text`` as typed so far (see module docstring for the reading).

        Parameters
        ----------
        text : what the person typed.
        near : (lat, lon) that breaks ties by distance (the merchant's pickup).
        limit : most results returned.
        """
        q = parse_query(text, self.postcodes, self.cities)
        if not q.name:
            return []
        scored: dict[int, tuple[float, tuple[str, ...]]] = {}
        for name_i, name_score in self._candidate_names(q.name):
            for rec_i, score, matched in self._entries(q, self.names[name_i], name_i, name_score):
                if score > scored.get(rec_i, (-1.0, ()))[0]:
                    scored[rec_i] = (score, matched)
        if scored:  # far weaker matches than the best are noise, not suggestions
            floor = max(score for score, _ in scored.values()) - WEAKER_BY
            scored = {i: v for i, v in scored.items() if v[0] >= floor}
        return self._ranked(scored, q, near, limit)

    def _candidate_names(self, name: str) -> list[tuple[int, float]]:
        """Names close to ``name``: whole-name typos (plain ratio over every name: cheap), and
        names with a word starting like a typed word (WRatio, which also scores prefixes and
        word subsets, over those few only: it is 30 times dearer than the plain ratio)."""
        found = {i: score for _, score, i in process.extract(
            name, self.names, scorer=fuzz.ratio, limit=CANDIDATE_NAMES, score_cutoff=NAME_CUTOFF)}
        starting = self._starting_like(name)
        for _, score, k in process.extract(name, [self.names[i] for i in starting], scorer=fuzz.WRatio,
                                           limit=CANDIDATE_NAMES, score_cutoff=NAME_CUTOFF):
            found[starting[k]] = max(found.get(starting[k], 0.0), score)
        hits = sorted(((s, i) for i, s in found.items()), reverse=True)[:CANDIDATE_NAMES]
        out = []
        for wratio, i in hits:
            candidate = self.names[i]
            if candidate == name:
                score = 1.0
            elif candidate.startswith(name):  # typing in progress
                score = 0.9 + 0.09 * len(name) / len(candidate)
            else:  # a typo: the whole-string ratio is what tells neighbours apart
                score = 0.85 * max(fuzz.ratio(name, candidate), 0.9 * wratio) / 100
            out.append((i, score))
        return out

    def _starting_like(self, name: str) -> list[int]:
        """Names with a word that starts like one of the typed words (at most ``MAX_STARTING``)."""
        seen: set[int] = set()
        for word in name.split():
            seen.update(self._starts.get(word[:3], ()))
        return sorted(seen)[:MAX_STARTING]

    def _entries(self, q: Query, name: str, name_i: int,
                 s: float) -> list[tuple[int, float, tuple[str, ...]]]:
        out: list[tuple[int, float, tuple[str, ...]]] = []
        via = "street" if name in self.numbers_of or name in self.street_names else "name"
        if q.number:
            for i in self.numbers.get((name, q.number), []):
                # the bare door first; the shops behind it are the same door, a little lower
                out.append((i, s + (0.95 if self.records[i].name else 1.0), ("street", "housenumber")))
            if q.partial_number:
                for number in self.numbers_of.get(name, [])[:200]:
                    if number != q.number and number.startswith(q.number):
                        out.extend((i, s + 0.5, ("street",)) for i in self.numbers[(name, number)][:1])
        for i in self.name_records[name_i]:
            kind = self.records[i].kind
            bonus = 0.2 if q.number and kind == "street" else 0.5
            out.append((i, s + bonus, (via if kind != "street" else "street",)))
        if not q.number:
            for number in sorted(self.numbers_of.get(name, []), key=_number_order)[:5]:
                out.extend((i, s + 0.3, ("street",)) for i in self.numbers[(name, number)][:1])
        return [(i, sc + self._where_bonus(q, i), m + self._where_matched(q, i)) for i, sc, m in out]

    def _where_bonus(self, q: Query, i: int) -> float:
        r, bonus = self.records[i], 0.0
        if q.postcode and r.postcode:
            bonus += 0.3 if r.postcode.replace(" ", "").lower() == q.postcode else -0.3
        if q.city and r.city:
            bonus += 0.1 if normalise(r.city) == q.city else -0.1
        return bonus

    def _where_matched(self, q: Query, i: int) -> tuple[str, ...]:
        r = self.records[i]
        out: tuple[str, ...] = ()
        if q.postcode and r.postcode.replace(" ", "").lower() == q.postcode:
            out += ("postcode",)
        if q.city and r.city and normalise(r.city) == q.city:
            out += ("city",)
        return out

    def _ranked(self, scored: dict[int, tuple[float, tuple[str, ...]]], q: Query,
                near: tuple[float, float] | None, limit: int) -> list[Match]:
        ids = np.array(list(scored), dtype=np.int64)
        if ids.size == 0:
            return []
        dist = None
        if near is not None:
            nx_, ny_ = self.proj.xy(near[0], near[1])
            dist = np.hypot(self.xy[ids, 0] - nx_, self.xy[ids, 1] - ny_)
        order = sorted(range(ids.size), key=lambda k: (-round(scored[int(ids[k])][0], 4),
                                                       0.0 if dist is None else float(dist[k]),
                                                       self.labels[int(ids[k])]))
        out: list[Match] = []
        for k in order:
            i = int(ids[k])
            label = self._label(i, scored[i][1])
            head = label.split(", ")[0]  # "Kaivokatu 8" tagged on a building and on each shop in it
            if any(m.label.split(", ")[0] == head and self._metres(m, i) < OTHER_PLACE_M for m in out):
                continue
            score, matched = scored[i]
            out.append(self._match(i, score, matched, None if dist is None else float(dist[k])))
            if len(out) >= limit:
                break
        return out

    def _metres(self, m: Match, i: int) -> float:
        x, y = self.proj.xy(m.lat, m.lon)
        return float(np.hypot(self.xy[i, 0] - x, self.xy[i, 1] - y))

    def _label(self, i: int, matched: tuple[str, ...]) -> str:
        """A shop's address typed without its name is shown as the address alone."""
        if self.door_labels[i] and "name" not in matched:
            return self.door_labels[i]
        return self.labels[i]

    def _match(self, i: int, score: float, matched: tuple[str, ...], distance_m: float | None) -> Match:
        r = self.records[i]
        s_lat, s_lon = self.snapped[i]
        return Match(r.kind, self._label(i, matched), r.name, r.street, r.housenumber, r.postcode, r.city,
                     r.lat, r.lon, s_lat, s_lon, round(score, 4), matched,
                     None if distance_m is None else round(distance_m, 1))

    # -- resolve and reverse ----------------------------------------------------------------
    def resolve(self, text: str, near: tuple[float, float] | None = None) -> Resolution:
        """The one place ``text`` means, or why there is none: nothing matches well enough
        (``none``), the number is unknown on that street (``no_number``), or several places
        match equally well (``ambiguous``). Never a silent guess."""
        results = self.search(text, near, limit=6)
        q = parse_query(text, self.postcodes, self.cities)
        if not results or results[0].score < 1.0:
            return Resolution(None, "none", tuple(results))
        best = results[0]
        if q.number and "housenumber" not in best.matched and "street" not in best.matched:
            return Resolution(None, "none", tuple(results))  # a number, and no street like it
        if q.number and "housenumber" not in best.matched or best.kind == "street":
            # the street is right, the door is not: offer the doors the map knows on it
            return Resolution(None, "no_number", tuple(self.search(q.name, near, limit=6)))
        ties = [m for m in results[1:] if abs(m.score - best.score) < 1e-6 and self._apart(best, m)]
        if ties:
            return Resolution(None, "ambiguous", (best, *ties))
        return Resolution(best, "", tuple(results))

    def _apart(self, a: Match, b: Match) -> bool:
        ax, ay = self.proj.xy(a.lat, a.lon)
        bx, by = self.proj.xy(b.lat, b.lon)
        return float(np.hypot(ax - bx, ay - by)) > OTHER_PLACE_M

    def reverse(self, lat: float, lon: float, door_m: float = 40.0, street_m: float = 120.0,
                near_m: float = NEAR_M) -> Match | None:
        """The label of a point: the nearest door within ``door_m``, else the nearest street
        within ``street_m`` (with the nearest door's label as context), else "near" the nearest
        door within ``near_m``; a point farther from every door (a phone without a fix reporting
        0, 0) has no label rather than a misleading one."""
        x, y = self.proj.xy(lat, lon)
        door: tuple[float, int] | None = None
        if self._door_tree is not None:
            d, k = self._door_tree.query([float(x), float(y)])
            door = (float(d), int(self._doors[int(k)]))
        if door is not None and door[0] <= door_m:
            return self._match(door[1], 1.0, ("door",), door[0])
        if self._street_tree is not None:
            d, k = self._street_tree.query([float(x), float(y)])
            if d <= street_m:
                return self._match(int(self._street_owner[int(k)]), 1.0, ("street",), float(d))
        if door is None or door[0] > near_m:
            return None
        return self._match(door[1], 0.5, ("near",), door[0])


def _number_order(number: str) -> tuple[int, str]:
    digits = "".join(c for c in number if c.isdigit())
    return (int(digits) if digits else 0, number)
