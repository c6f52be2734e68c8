"""Evaluation you can trust (decision 0008): per-group figures with a disparity warning,
lead time, and the comparison of a model with the rules at a scope's capacity. Pure
functions over lists; the database side is in `management/commands/evaluate_risk.py`.

Groups (gender, ethnicity, poor household, commune, boarding) are read only here, for
audits: they are never features of the rules and never reasons shown for a student.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from numpy.typing import ArrayLike

from dentruong.risk.ml import precision_recall, top_k

RATIO_LOW, RATIO_HIGH = 0.8, 1.25


def _rates(y: Sequence[int], flagged: Sequence[bool]) -> dict[str, Any]:
    n = len(y)
    pos = sum(1 for v in y if v)
    neg = n - pos
    tp = sum(1 for v, f in zip(y, flagged, strict=True) if v and f)
    fp = sum(1 for v, f in zip(y, flagged, strict=True) if not v and f)
    flags = tp + fp
    return {
        "n": n,
        "base_rate": round(pos / n, 4) if n else None,
        "flag_rate": round(flags / n, 4) if n else None,
        "recall": round(tp / pos, 4) if pos else None,
        "fpr": round(fp / neg, 4) if neg else None,
        "precision": round(tp / flags, 4) if flags else None,
    }


def group_report(
    y: Sequence[int],
    flagged: Sequence[bool],
    groups: Mapping[str, Sequence[str]],
    *,
    min_n: int = 30,
) -> dict[str, Any]:
    """For each attribute (e.g. "gender" → a value per student): recall, FPR, precision
    and flag rate per value, and the ratio of recall and of FPR to the reference value
    (the largest group). A warning when a ratio leaves [0.8, 1.25] — aequitas-style
    disparity tolerance (ews.md §C3). Values with fewer than `min_n` students are
    reported without a warning (too few to say)."""
    out: dict[str, Any] = {}
    for attr, values in groups.items():
        by: dict[str, list[int]] = {}
        for i, v in enumerate(values):
            by.setdefault(str(v), []).append(i)
        ref = max(by, key=lambda v: len(by[v]))
        rows: dict[str, Any] = {}
        for value, idx in sorted(by.items()):
            rows[value] = _rates([y[i] for i in idx], [flagged[i] for i in idx])
        warnings = []
        for value, r in rows.items():
            for metric in ("recall", "fpr"):
                mine, theirs = r[metric], rows[ref][metric]
                if mine is None or not theirs:
                    r[f"{metric}_ratio"] = None
                    continue
                ratio = round(mine / theirs, 3)
                r[f"{metric}_ratio"] = ratio
                if value != ref and r["n"] >= min_n and not RATIO_LOW <= ratio <= RATIO_HIGH:
                    warnings.append(
                        {"group": value, "metric": metric, "ratio": ratio, "reference": ref}
                    )
        out[attr] = {"reference": ref, "groups": rows, "warnings": warnings}
    return out


def lead_times(first_flag: Sequence[int | None]) -> dict[str, Any]:
    """`first_flag`: for each eventual dropout, how many school days before their last
    day they were first flagged (None: never). Median and the share flagged ≥ 30 and
    ≥ 60 school days ahead (ews.md: "earliness")."""
    n = len(first_flag)
    flagged = sorted(d for d in first_flag if d is not None)
    median = flagged[len(flagged) // 2] if flagged else None
    return {
        "dropouts": n,
        "flagged": len(flagged),
        "median_school_days": median,
        "share_30_days": round(sum(1 for d in flagged if d >= 30) / n, 4) if n else None,
        "share_60_days": round(sum(1 for d in flagged if d >= 60) / n, 4) if n else None,
    }


def beats_rules(
    y: Sequence[int],
    model_scores: ArrayLike,
    rule_scores: ArrayLike,
    capacity: int,
) -> dict[str, Any]:
    """Does the model find more of the later dropouts than the rules when both may name
    `capacity` students? (Ties go to the rules: they are transparent.)"""
    m = precision_recall(y, top_k(model_scores, capacity))
    r = precision_recall(y, top_k(rule_scores, capacity))
    return {
        "capacity": capacity,
        "model": {"precision": round(m[0], 4), "recall": round(m[1], 4)},
        "rules": {"precision": round(r[0], 4), "recall": round(r[1], 4)},
        "model_beats_rules": m[1] > r[1],
    }
