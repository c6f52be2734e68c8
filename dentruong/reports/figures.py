"""The shape every report's figures take, and the roll-up: pure, no database.

Figures are counts, never rates: a rate is derived when shown (`Section.rates`), so
that the figures of a commune are exactly the sum of its schools' (`rollup`). A
`Section` is one table: columns (keys), rows, and a total row. Rows are either
categories (a level, a reason, a destination: `mode="sum"`, added up by key across
parts) or units (a school, a commune: `mode="units"`; a roll-up lists each part as one
row with its total). Stored as JSON in a frozen submission (`as_json` / `from_json`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    key: str  # a category code or a unit id
    label: str  # a unit's name; '' for a category (labelled when shown)
    values: dict[str, int]


@dataclass
class Section:
    key: str
    columns: list[str]
    rows: list[Row]
    total: dict[str, int]
    mode: str = "sum"  # "sum" (category rows) or "units" (one row per unit)
    rates: list[tuple[str, str, str]] = field(default_factory=list)  # (key, part, whole)

    def rate(self, values: Mapping[str, int], part: str, whole: str) -> float | None:
        den = values.get(whole, 0)
        return round(values.get(part, 0) * 100 / den, 2) if den else None


@dataclass
class Figures:
    kind: str
    version: int
    unit_id: int
    unit_name: str
    period_start: dt.date
    period_end: dt.date
    sections: list[Section]
    names: list[dict[str, Any]] = field(default_factory=list)  # who is behind the numbers
    parts: list[int] = field(default_factory=list)  # unit ids summed by a roll-up

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "sections": [
                {
                    "key": s.key,
                    "columns": s.columns,
                    "mode": s.mode,
                    "rates": [list(r) for r in s.rates],
                    "rows": [{"key": r.key, "label": r.label, "values": r.values} for r in s.rows],
                    "total": s.total,
                }
                for s in self.sections
            ],
            "names": self.names,
            "parts": self.parts,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Figures:
        return cls(
            kind=data["kind"],
            version=int(data["version"]),
            unit_id=int(data["unit_id"]),
            unit_name=data["unit_name"],
            period_start=dt.date.fromisoformat(data["period_start"]),
            period_end=dt.date.fromisoformat(data["period_end"]),
            sections=[
                Section(
                    key=s["key"],
                    columns=list(s["columns"]),
                    rows=[Row(r["key"], r["label"], dict(r["values"])) for r in s["rows"]],
                    total=dict(s["total"]),
                    mode=s.get("mode", "sum"),
                    rates=[(a, b, c) for a, b, c in s.get("rates", [])],
                )
                for s in data["sections"]
            ],
            names=list(data.get("names", [])),
            parts=list(data.get("parts", [])),
        )


def add(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def section_from_rows(
    key: str,
    columns: Sequence[str],
    rows: Sequence[Row],
    *,
    mode: str = "sum",
    rates: Sequence[tuple[str, str, str]] = (),
) -> Section:
    total: dict[str, int] = dict.fromkeys(columns, 0)
    for row in rows:
        total = add(total, row.values)
    return Section(key, list(columns), list(rows), total, mode, list(rates))


def rollup(
    parts: Sequence[Figures],
    *,
    kind: str,
    version: int,
    unit_id: int,
    unit_name: str,
    period_start: dt.date,
    period_end: dt.date,
) -> Figures:
    """The figures of a unit as the sum of its parts' (frozen) figures: each section's
    total is the sum of the parts' totals; category rows add up by key, unit sections
    list each part as one row (its total)."""
    sections: dict[str, Section] = {}
    for part in parts:
        for s in part.sections:
            into = sections.get(s.key)
            if into is None:
                into = sections[s.key] = Section(
                    s.key, list(s.columns), [], dict.fromkeys(s.columns, 0), s.mode, list(s.rates)
                )
            for c in s.columns:
                if c not in into.columns:
                    into.columns.append(c)
            into.total = add(into.total, s.total)
            if s.mode == "units":
                into.rows.append(Row(str(part.unit_id), part.unit_name, dict(s.total)))
            else:
                by_key = {r.key: r for r in into.rows}
                for r in s.rows:
                    if r.key in by_key:
                        by_key[r.key].values = add(by_key[r.key].values, r.values)
                    else:
                        copy = Row(r.key, r.label, dict(r.values))
                        into.rows.append(copy)
                        by_key[r.key] = copy
    return Figures(
        kind=kind,
        version=version,
        unit_id=unit_id,
        unit_name=unit_name,
        period_start=period_start,
        period_end=period_end,
        sections=list(sections.values()),
        names=[n for p in parts for n in p.names],
        parts=[p.unit_id for p in parts],
    )
