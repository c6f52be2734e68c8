"""Forward-in-time validation (decision 0008): train on earlier school years, test on a
later one — never mixing cohorts — the model beside the rules at the scope's capacity,
with the per-group audit and the lead time. Works on any `Dataset` (the deployment's own
history from `history.build_dataset`, or the simulator's); no database.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from dentruong.risk import ml
from dentruong.risk.evaluation import beats_rules, group_report, lead_times
from dentruong.risk.simulate import Dataset


def rule_scores(points: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Rank by points, ties by the absence rate (feature 0)."""
    return points.astype(float) + 0.01 * X[:, 0].astype(float)


def train_and_validate(
    ds: Dataset,
    *,
    train_years: Sequence[int],
    test_year: int,
    kinds: Sequence[str] = ml.KINDS,
    capacity_share: float = 0.10,
    max_train_rows: int = 1_500_000,
    seed: int = 0,
) -> dict[str, Any]:
    """Fit each kind on the rows of `train_years`, test on `test_year`; the best kind
    by recall at capacity is the candidate. Returns the model card (JSON-ready) and the
    fitted candidate under "_estimator"."""
    if test_year in train_years or max(train_years) >= test_year:
        raise ValueError("train on earlier years than the test year")
    train = np.isin(ds.year, list(train_years))
    test = ds.year == test_year
    idx = np.flatnonzero(train)
    if len(idx) > max_train_rows:  # a uniform sample keeps the calibration honest
        idx = np.sort(np.random.default_rng(seed).choice(idx, max_train_rows, replace=False))
    Xtr, ytr = ds.X[idx], ds.y[idx]
    Xte, yte = ds.X[test], ds.y[test]
    test_idx = np.flatnonzero(test)
    capacity = max(1, int(round(capacity_share * len(yte))))
    rules = rule_scores(ds.points[test], Xte)
    card: dict[str, Any] = {
        "data": "simulated (machinery test only, not accuracy)"
        if ds.meta.get("simulated")
        else "the deployment's own history",
        "train_years": [f"{y}-{y + 1}" for y in train_years],
        "test_year": f"{test_year}-{test_year + 1}",
        "prediction_dates": ds.meta.get("dates", []),
        "features": ds.meta.get("features", []),
        "train_rows": len(ytr),
        "train_positives": int(ytr.sum()),
        "label": "not enrolled the next school year, no recorded transfer or completion",
        "test": {
            "rules": ml.scores_report(yte, rules, capacity=capacity, probabilities=False),
        },
        "candidates": {},
    }
    best: tuple[float, str, Any, np.ndarray] | None = None
    for kind in kinds:
        started = time.perf_counter()
        est = ml.fit(kind, Xtr, ytr, seed=seed)
        p = ml.predict(est, Xte)
        report = ml.scores_report(yte, p, capacity=capacity)
        report["fit_seconds"] = round(time.perf_counter() - started, 1)
        card["candidates"][kind] = report
        recall = report["at_capacity"]["recall"]
        if best is None or recall > best[0]:
            best = (recall, kind, est, p)
    assert best is not None
    _, kind, est, p = best
    card["kind"] = kind
    card["test"]["model"] = card["candidates"][kind]
    comparison = beats_rules(list(yte), p, rules, capacity)
    card["test"]["comparison"] = comparison
    flagged = ml.top_k(p if comparison["model_beats_rules"] else rules, capacity)
    groups = {g: [vals[i] for i in test_idx] for g, vals in ds.groups.items()}
    card["test"]["groups"] = _compact(group_report(list(yte), list(flagged), groups))
    if test_year in ds.lead_times:
        card["test"]["lead_time"] = lead_times(ds.lead_times[test_year])
    per_date = {}
    for di, name in enumerate(ds.meta.get("dates", [])):
        mask = ds.date[test] == di
        if mask.any():
            cap = max(1, int(round(capacity_share * int(mask.sum()))))
            per_date[name] = beats_rules(list(yte[mask]), p[mask], rules[mask], cap)
    card["test"]["per_date"] = per_date
    card["beats_rules"] = bool(comparison["model_beats_rules"])
    card["_estimator"] = est
    return card


def _compact(report: dict[str, Any], keep: int = 12) -> dict[str, Any]:
    """Groups with many values (communes): keep the largest `keep` and every warned one."""
    out = {}
    for attr, r in report.items():
        groups = r["groups"]
        if len(groups) > keep:
            warned = {w["group"] for w in r["warnings"]}
            largest = sorted(groups, key=lambda g: -groups[g]["n"])[:keep]
            groups = {g: groups[g] for g in groups if g in warned or g in largest}
        out[attr] = {**r, "groups": groups, "values": len(r["groups"])}
    return out
