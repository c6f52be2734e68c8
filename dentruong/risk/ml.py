"""The learned model (decision 0008): regularised logistic regression, gradient boosting
as the challenger, both calibrated; and the figures that decide whether it may replace
the rules. No database: arrays in, numbers out (`evaluation.py` adds the groups).

Estimators are stored pickled in `RiskModel.estimator`. Only bytes this code wrote are
ever unpickled (the training command writes them; nothing uploads a model).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

KINDS = ("logreg", "hgb")


def make_estimator(kind: str, *, seed: int = 0, calibrate: bool = True) -> Any:
    """An unfitted classifier: L2 logistic regression on standardised features, or
    histogram gradient boosting; wrapped in sigmoid (Platt) calibration by 3-fold CV."""
    if kind == "logreg":
        base: Any = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000))
    elif kind == "hgb":
        base = HistGradientBoostingClassifier(
            max_iter=100,
            learning_rate=0.1,
            max_leaf_nodes=15,
            l2_regularization=1.0,
            random_state=seed,
        )
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    if not calibrate:
        return base
    return CalibratedClassifierCV(base, method="sigmoid", cv=3)


def fit(kind: str, X: Any, y: Any, *, seed: int = 0) -> Any:
    return make_estimator(kind, seed=seed).fit(np.asarray(X, dtype=float), np.asarray(y))


def predict(estimator: Any, X: Any) -> np.ndarray:
    return np.asarray(estimator.predict_proba(np.asarray(X, dtype=float))[:, 1])


def dump_estimator(estimator: Any) -> bytes:
    return pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL)


def load_estimator(data: bytes) -> Any:
    return pickle.loads(data)  # only bytes written by dump_estimator


# --- figures ------------------------------------------------------------------------------


def top_k(scores: ArrayLike, k: int) -> np.ndarray:
    """Boolean mask of the k highest scores (ties broken by position, stable)."""
    s = np.asarray(scores, dtype=float)
    mask = np.zeros(len(s), dtype=bool)
    if k > 0:
        order = np.argsort(-s, kind="stable")[:k]
        mask[order] = True
    return mask


def precision_recall(y: ArrayLike, flagged: ArrayLike) -> tuple[float, float]:
    yy = np.asarray(y, dtype=bool)
    ff = np.asarray(flagged, dtype=bool)
    tp = int((yy & ff).sum())
    precision = tp / int(ff.sum()) if ff.any() else 0.0
    recall = tp / int(yy.sum()) if yy.any() else 0.0
    return precision, recall


def at_capacity(y: ArrayLike, scores: ArrayLike, k: int) -> dict[str, float]:
    p, r = precision_recall(y, top_k(scores, k))
    return {"k": k, "precision": round(p, 4), "recall": round(r, 4)}


def calibration_bins(y: ArrayLike, p: ArrayLike, bins: int = 10) -> list[dict[str, Any]]:
    """Equal-count bins of predicted probability: mean predicted vs observed rate."""
    yy = np.asarray(y, dtype=float)
    pp = np.asarray(p, dtype=float)
    order = np.argsort(pp, kind="stable")
    out = []
    for chunk in np.array_split(order, bins):
        if len(chunk) == 0:
            continue
        out.append(
            {
                "n": len(chunk),
                "predicted": round(float(pp[chunk].mean()), 4),
                "observed": round(float(yy[chunk].mean()), 4),
            }
        )
    return out


def scores_report(
    y: ArrayLike,
    scores: ArrayLike,
    *,
    shares: Sequence[float] = (0.10, 0.20),
    capacity: int | None = None,
    probabilities: bool = True,
) -> dict[str, Any]:
    """ROC-AUC, PR-AUC, Brier, calibration (for probabilities), and precision/recall at
    the top shares and at `capacity` (the N home visits)."""
    yy = np.asarray(y, dtype=int)
    ss = np.asarray(scores, dtype=float)
    n = len(yy)
    both = 0 < yy.sum() < n
    out: dict[str, Any] = {
        "n": n,
        "positives": int(yy.sum()),
        "base_rate": round(float(yy.mean()), 4) if n else 0.0,
        "roc_auc": round(float(roc_auc_score(yy, ss)), 4) if both else None,
        "pr_auc": round(float(average_precision_score(yy, ss)), 4) if both else None,
    }
    for share in shares:
        out[f"top_{int(round(share * 100))}pct"] = at_capacity(yy, ss, int(round(share * n)))
    if capacity is not None:
        out["at_capacity"] = at_capacity(yy, ss, min(capacity, n))
    if probabilities:
        out["brier"] = round(float(brier_score_loss(yy, ss)), 4) if n else None
        out["calibration"] = calibration_bins(yy, ss)
    return out
