"""The deployment's own history as a training set (decision 0008): for each school year
and fixed prediction date, every student enrolled then, their indicators as of that date
(`selectors.load_facts`, the same as the nightly run), and the label: not enrolled on
the next school year's day `NEXT_YEAR_DAY` with no transfer out or completion recorded
after the date. Audit groups (gender, ethnicity, poor household, commune, boarding) are
read here for the evaluation only.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Sequence

import numpy as np

from dentruong.enrollment.codes import EventKind
from dentruong.enrollment.models import Enrollment, EnrollmentEvent
from dentruong.people.ethnicity import KINH
from dentruong.people.models import SensitiveFacts, Student
from dentruong.risk.indicators import FEATURES, compute, feature_vector
from dentruong.risk.rules import RANK, Thresholds, evaluate
from dentruong.risk.selectors import load_facts
from dentruong.risk.simulate import GROUPS, Dataset

# (name, month, day, years after the school year's start year)
PREDICTION_DATES: tuple[tuple[str, int, int, int], ...] = (
    ("mid_term1", 11, 15, 0),
    ("after_tet", 3, 1, 1),
)
NEXT_YEAR_DAY = (9, 15)


def build_dataset(
    path: str,
    years: Sequence[int],
    *,
    dates: Sequence[tuple[str, int, int, int]] = PREDICTION_DATES,
    thresholds: Thresholds | None = None,
) -> Dataset:
    t = thresholds or Thresholds()
    X = array("f")
    meta = array("i")
    groups: dict[str, list[str]] = {g: [] for g in GROUPS}
    for year in years:
        next_day = dt.date(year + 1, *NEXT_YEAR_DAY)
        enrolled_next = set(Enrollment.objects.on(next_day).values_list("student_id", flat=True))
        for di, (_name, month, day, plus) in enumerate(dates):
            as_of = dt.date(year + plus, month, day)
            loaded = load_facts(path, as_of, window_days=t.window_days)
            if not loaded:
                continue
            ids = [row.facts.student_id for row in loaded]
            exits = set(
                EnrollmentEvent.objects.filter(
                    student_id__in=ids,
                    kind__in=[EventKind.TRANSFERRED_OUT, EventKind.COMPLETED],
                    date__gt=as_of,
                    date__lte=next_day,
                ).values_list("student_id", flat=True)
            )
            people = {
                sid: (g, e)
                for sid, g, e in Student.objects.filter(pk__in=ids).values_list(
                    "pk", "gender", "ethnicity"
                )
            }
            poverty = dict(
                SensitiveFacts.objects.filter(student_id__in=ids).values_list(
                    "student_id", "poverty"
                )
            )
            for row in loaded:
                sid = row.facts.student_id
                ind = compute(row.facts)
                a = evaluate(ind, t)
                X.extend(feature_vector(ind, arrival_days=t.arrival_days))
                label = int(sid not in enrolled_next and sid not in exits)
                meta.extend((a.points, RANK[a.level], label, year, di))
                gender, ethnicity = people.get(sid, ("", ""))
                groups["gender"].append(gender)
                groups["ethnicity"].append("kinh" if ethnicity == KINH else "minority")
                groups["poverty"].append(poverty.get(sid, "none"))
                groups["commune"].append("/".join(row.unit_path.split("/")[:2]))
                groups["boarding"].append("boarding" if row.facts.boarding else "day")
    m = np.frombuffer(meta, dtype=np.int32).reshape(-1, 5)
    return Dataset(
        X=np.frombuffer(X, dtype=np.float32).reshape(-1, len(FEATURES)),
        points=m[:, 0],
        level=m[:, 1],
        y=m[:, 2],
        year=m[:, 3],
        date=m[:, 4],
        groups=groups,
        lead_times={},
        meta={
            "simulated": False,
            "unit": path,
            "years": list(years),
            "dates": [d[0] for d in dates],
            "features": list(FEATURES),
        },
    )
