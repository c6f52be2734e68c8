"""Figures, the per-group audit, training on history (simulated and from the database),
the model registry."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import numpy as np
import pytest
import time_machine
from django.db import IntegrityError

from dentruong.attendance.services import VN_TZ, submit_roll_call
from dentruong.enrollment.services import record_event
from dentruong.risk import ml, services
from dentruong.risk.evaluation import beats_rules, group_report, lead_times
from dentruong.risk.history import build_dataset
from dentruong.risk.models import RiskModel
from dentruong.risk.simulate import simulate
from dentruong.risk.training import train_and_validate
from tests.cast import Cast


def test_precision_recall_at_capacity() -> None:
    y = [1, 0, 1, 0, 0, 1]
    scores = [0.9, 0.8, 0.7, 0.1, 0.2, 0.05]
    assert ml.top_k(scores, 2).tolist() == [True, True, False, False, False, False]
    assert ml.at_capacity(y, scores, 3) == {"k": 3, "precision": 0.6667, "recall": 0.6667}
    report = ml.scores_report(y, scores, shares=(0.5,), probabilities=False)
    assert report["top_50pct"] == {"k": 3, "precision": 0.6667, "recall": 0.6667}
    # 9 pairs (positive, negative): 0.9 beats 3, 0.7 beats 2, 0.05 none → 5/9.
    assert report["roc_auc"] == pytest.approx(5 / 9, abs=1e-4)


def test_group_report_warns_outside_the_band() -> None:
    # Group a (reference, 4 students): 2 dropouts both flagged (recall 1), 1 of 2
    # others flagged (FPR 0.5). Group b: 2 dropouts, 1 flagged (recall 0.5 → ratio 0.5),
    # 1 of 2 others flagged (FPR 0.5 → ratio 1.0).
    y = [1, 1, 0, 0, 1, 1, 0]
    flagged = [True, True, True, False, True, False, True]
    groups = {"gender": ["a", "a", "a", "a", "b", "b", "b"]}
    report = group_report(y, flagged, groups, min_n=1)["gender"]
    assert report["reference"] == "a"
    assert report["groups"]["b"]["recall"] == 0.5 and report["groups"]["b"]["fpr"] == 1.0
    assert report["groups"]["b"]["recall_ratio"] == 0.5
    assert report["groups"]["b"]["fpr_ratio"] == 2.0
    assert {(w["group"], w["metric"]) for w in report["warnings"]} == {
        ("b", "recall"),
        ("b", "fpr"),
    }
    assert group_report(y, flagged, groups, min_n=10)["gender"]["warnings"] == []


def test_lead_times_and_comparison() -> None:
    assert lead_times([40, 10, None, 70]) == {
        "dropouts": 4,
        "flagged": 3,
        "median_school_days": 40,
        "share_30_days": 0.5,
        "share_60_days": 0.25,
    }
    y = [1, 0, 1, 0]
    c = beats_rules(y, [0.9, 0.1, 0.8, 0.2], [1, 3, 0, 2], capacity=2)
    assert c["model"] == {"precision": 1.0, "recall": 1.0}
    assert c["rules"] == {"precision": 0.0, "recall": 0.0}
    assert c["model_beats_rules"] is True


def test_simulated_history_trains_forward_only() -> None:
    ds = simulate(students=1500, years=3, start_year=2024)
    assert ds.X.shape[1] == 17 and len(ds.y) == len(ds.year) == len(ds.groups["gender"])
    assert set(np.unique(ds.year).tolist()) == {2024, 2025, 2026}
    assert ds.y.sum() > 0
    with pytest.raises(ValueError):
        train_and_validate(ds, train_years=[2024, 2026], test_year=2025)
    card = train_and_validate(ds, train_years=[2024, 2025], test_year=2026, kinds=["logreg"])
    assert card["data"].startswith("simulated")
    assert card["test_year"] == "2026-2027"
    assert set(card["test"]["groups"]) == {"gender", "ethnicity", "poverty", "commune", "boarding"}
    assert card["test"]["comparison"]["capacity"] == round(0.1 * int((ds.year == 2026).sum()))
    assert card["test"]["lead_time"]["dropouts"] == len(ds.lead_times[2026])
    assert 0 < card["test"]["model"]["roc_auc"] <= 1
    est = card["_estimator"]
    again = ml.load_estimator(ml.dump_estimator(est))
    assert np.allclose(ml.predict(again, ds.X[:5]), ml.predict(est, ds.X[:5]))


@pytest.fixture
def _clock() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2027, 3, 17, 9, 0, tzinfo=VN_TZ), tick=False):
        yield


def test_history_labels_come_from_enrolment(cast: Cast, _clock: None) -> None:
    submit_roll_call(
        school_class=cast.class_3a,
        date=dt.date(2027, 2, 26),
        session="am",
        marks={cast.student.pk: ("K", "", "")},
        by=cast.teacher,
        client_id=uuid.uuid4(),
    )
    record_event(
        student=cast.student, kind="dropped_out", on=dt.date(2027, 3, 10), by=None, reason_code="01"
    )
    ds = build_dataset(cast.commune.path, [2026])
    # Two dates × the commune's two students.
    assert len(ds.y) == 4
    by_gender = dict(zip(ds.groups["gender"], ds.y.tolist(), strict=False))
    assert by_gender == {"F": 1, "M": 0}  # Ánh dropped out; An is enrolled next year
    assert ds.groups["poverty"][0] in ("poor", "none")
    assert ds.X[ds.y == 1][1][2] == 1.0  # after Tết: one K session in the window


def test_a_model_is_active_only_if_it_beats_the_rules(db: None) -> None:
    weak = services.register_model(
        kind="logreg", unit_path="15/", estimator_bytes=b"x", card={}, beats_rules=False
    )
    assert not weak.active
    strong = services.register_model(
        kind="hgb", unit_path="15/", estimator_bytes=b"y", card={}, beats_rules=True
    )
    assert strong.active and strong.version == "15-hgb-v2"
    with pytest.raises(IntegrityError):
        RiskModel.objects.filter(pk=weak.pk).update(active=True)
