"""Honest validation of the early-warning model pipeline on real data (issue 5).

    .venv/bin/python bench/ews_realinho.py [--repeats 3] [--data ../shared/data/realinho]

Data: Realinho, V., Vieira Martins, M., Machado, J., & Baptista, L. (2021). *Predict
students' dropout and academic success*. UCI Machine Learning Repository,
https://doi.org/10.24432/C5MC89, CC BY 4.0. 4,424 students of a Portuguese polytechnic
institute (higher education): enrolment facts and first/second-semester results. It is
NOT Vietnamese schoolchildren, has no daily attendance and no school-year column (so no
split by time): it checks that the generic pipeline (dentruong.risk.ml: calibrated L2
logistic regression, gradient boosting as challenger; dentruong.risk.evaluation: the
figures and the per-group audit) works on real students, nothing more.

Run unchanged but for the column mapping (`features` below): label = Target "Dropout"
(Enrolled and Graduate are the negatives); features = enrolment facts + fee/debt status +
first-semester results, as of the end of semester 1. As in the product, gender,
scholarship (the nearest thing to household poverty here) and nationality are NOT
features: they are the audit groups. Repeated stratified 5-fold cross-validation. Prints
one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dentruong.settings")

from sklearn.model_selection import RepeatedStratifiedKFold

from dentruong.risk import ml
from dentruong.risk.evaluation import group_report

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "realinho"

# The column mapping: numeric columns as they are, coded columns one-hot (codes seen in
# at least 20 rows), a derived share of first-semester units approved.
NUMERIC = [
    "Application order",
    "Daytime/evening attendance",
    "Previous qualification (grade)",
    "Admission grade",
    "Displaced",
    "Educational special needs",
    "Debtor",
    "Tuition fees up to date",
    "Age at enrollment",
    "Curricular units 1st sem (credited)",
    "Curricular units 1st sem (enrolled)",
    "Curricular units 1st sem (evaluations)",
    "Curricular units 1st sem (approved)",
    "Curricular units 1st sem (grade)",
    "Curricular units 1st sem (without evaluations)",
    "Unemployment rate",
    "Inflation rate",
    "GDP",
]
CODED = ["Application mode", "Course", "Previous qualification", "Marital status"]
# Parents' schooling and occupation: enrolment facts of family background. Reported with
# and without them (the product has no such facts; see the JSON's "variants").
FAMILY = [
    "Mother's qualification",
    "Father's qualification",
    "Mother's occupation",
    "Father's occupation",
]
AUDIT = {"gender": "Gender", "scholarship": "Scholarship holder"}
NOT_FEATURES = {"Gender", "Scholarship holder", "Nationality", "International"}


def load(data: Path) -> tuple[list[str], list[dict[str, str]]]:
    columns = json.loads((data / "columns.json").read_text())["columns"]
    with open(data / "dropout.csv", encoding="utf-8-sig", newline="") as f:
        rows = [dict(zip(columns, r, strict=True)) for r in csv.reader(f)]
    assert len(rows) == 4424, len(rows)
    return columns, rows


def _share(r: dict[str, str], a: str, b: str) -> float:
    return float(r[f"Curricular units 1st sem ({a})"]) / max(
        1.0, float(r[f"Curricular units 1st sem ({b})"])
    )


def features(rows: list[dict[str, str]], *, family: bool = True) -> tuple[np.ndarray, list[str]]:
    coded = CODED + (FAMILY if family else [])
    assert not NOT_FEATURES & (set(NUMERIC) | set(coded))
    names = list(NUMERIC) + [
        "1st sem approved / enrolled",
        "1st sem approved / evaluations",
        "1st sem no grade",
        "1st sem nothing enrolled",
    ]
    cols: list[list[float]] = [[float(r[c]) for r in rows] for c in NUMERIC]
    cols.append([_share(r, "approved", "enrolled") for r in rows])
    cols.append([_share(r, "approved", "evaluations") for r in rows])
    cols.append([float(float(r["Curricular units 1st sem (grade)"]) == 0) for r in rows])
    cols.append([float(float(r["Curricular units 1st sem (enrolled)"]) == 0) for r in rows])
    for c in coded:
        counts: dict[str, int] = {}
        for r in rows:
            counts[r[c]] = counts.get(r[c], 0) + 1
        for code in sorted(k for k, n in counts.items() if n >= 20):
            names.append(f"{c}={code}")
            cols.append([1.0 if r[c] == code else 0.0 for r in rows])
    return np.array(cols, dtype=float).T, names


def run(
    X: np.ndarray,
    y: np.ndarray,
    groups: dict[str, list[str]],
    cv: RepeatedStratifiedKFold,
    kinds: tuple[str, ...],
    args: argparse.Namespace,
) -> dict[str, Any]:
    per_kind: dict[str, Any] = {}
    for kind in kinds:
        folds = []
        oof_sum = np.zeros(len(y))
        oof_n = np.zeros(len(y))
        for train, test in cv.split(X, y):
            est = ml.fit(kind, X[train], y[train], seed=args.seed)
            p = ml.predict(est, X[test])
            folds.append(ml.scores_report(y[test], p, probabilities=True))
            oof_sum[test] += p
            oof_n[test] += 1

        def mean_sd(key: str, sub: str | None = None, folds: list[Any] = folds) -> list[float]:
            vals = [f[key][sub] if sub else f[key] for f in folds]
            return [round(float(np.mean(vals)), 4), round(float(np.std(vals)), 4)]

        oof = oof_sum / oof_n  # each student's mean out-of-fold probability
        flagged = ml.top_k(oof, int(round(0.2 * len(y))))
        per_kind[kind] = {
            "folds": len(folds),
            "roc_auc_mean_sd": mean_sd("roc_auc"),
            "pr_auc_mean_sd": mean_sd("pr_auc"),
            "brier_mean_sd": mean_sd("brier"),
            "top_10pct_precision": mean_sd("top_10pct", "precision"),
            "top_10pct_recall": mean_sd("top_10pct", "recall"),
            "top_20pct_precision": mean_sd("top_20pct", "precision"),
            "top_20pct_recall": mean_sd("top_20pct", "recall"),
            "calibration_out_of_fold": ml.calibration_bins(y, oof),
            "groups_at_top_20pct": group_report(list(y), list(flagged), groups),
        }
    return per_kind


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    started = time.perf_counter()
    _, rows = load(args.data)
    y = np.array([1 if r["Target"] == "Dropout" else 0 for r in rows])
    groups = {
        "gender": ["female" if r["Gender"] == "0" else "male" for r in rows],
        "scholarship": ["holder" if r["Scholarship holder"] == "1" else "none" for r in rows],
    }
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=args.repeats, random_state=args.seed)
    variants: dict[str, Any] = {}
    for variant, family, kinds in (
        ("with_family_background", True, ml.KINDS),
        ("without_family_background", False, ("logreg",)),
    ):
        X, names = features(rows, family=family)
        variants[variant] = {"features": len(names), "models": run(X, y, groups, cv, kinds, args)}
    print(
        json.dumps(
            {
                "data": "Realinho et al. 2021, UCI 697 (CC BY 4.0): 4,424 higher-education "
                "students in Portugal; not Vietnamese schoolchildren; no attendance; no "
                "school year (cross-validation, not a split by time)",
                "label": "Target == Dropout (32.1 %); Enrolled and Graduate negative",
                "phase": "enrolment + fee/debt status + first-semester results",
                "not_features_audit_only": sorted(NOT_FEATURES),
                "cv": f"RepeatedStratifiedKFold 5 x {args.repeats}",
                "variants": variants,
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=1,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
