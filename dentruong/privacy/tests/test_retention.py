"""Retention: hand-built rows on either side of each cut-off; dry run; idempotence; the
command's JSON; the settings' overrides."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings

from dentruong.accounts.models import LoginAttempt
from dentruong.imports.models import BatchStatus, ImportBatch, ImportKind
from dentruong.notices.models import Notice
from dentruong.outreach.services import open_case
from dentruong.people.models import ResidentChild
from dentruong.people.services import create_resident_child
from dentruong.privacy import retention
from dentruong.privacy.models import RightsRequest
from dentruong.privacy.services import ERASED, apply_retention
from dentruong.privacy.tests.factories import answered_access_request
from tests.cast import Cast

NOW = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)  # 10:00 in Việt Nam


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def notice(cast: Cast, n: int, created: dt.datetime, status: str = "sent") -> Notice:
    return Notice.objects.create(
        kind="absence",
        day=created.date() + dt.timedelta(days=n),  # one per student and day
        session="am",
        student=cast.student,
        channel="sms",
        address="+84912345678",
        text=f"Con Anh vang hoc ({n})",
        status=status,
        created_at=created,
        next_attempt_at=created,
    )


def batch(cast: Cast, created: dt.datetime, status: str) -> ImportBatch:
    b = ImportBatch.objects.create(
        kind=ImportKind.CLASS_LIST,
        school_class=cast.class_3a,
        file_name="3A.xlsx",
        file_sha256="0" * 64,
        file_size=10,
        rows=[[7, {"given_name": "Ánh"}]],
        problems=[[8, "birth_date", "…"]],
        summary={"create": 1},
        status=status,
        confirmed_at=created if status == BatchStatus.CONFIRMED else None,
        created_by=cast.teacher,
    )
    ImportBatch.objects.filter(pk=b.pk).update(created_at=created)  # auto_now_add
    return b


def child(cast: Cast, born: int, given: str) -> ResidentChild:
    return create_resident_child(
        commune=cast.commune,
        village=cast.village,
        family_and_middle_name="Lò Văn",
        given_name=given,
        birth_year=born,
        birth_date=dt.date(born, 5, 1),
        gender="M",
        ethnicity="03",
        survey_year=2022,
        schooling="completed",
        notes="Đi làm xa",
    )


@pytest.fixture
def rows(cast: Cast) -> dict[str, Any]:
    old_export = answered_access_request(cast)
    new_export = answered_access_request(cast)
    RightsRequest.objects.filter(pk=old_export.pk).update(closed_at=ago(30.01))
    RightsRequest.objects.filter(pk=new_export.pk).update(closed_at=ago(29.99))
    for at, name in ((ago(90.01), "old"), (ago(89.99), "new")):
        LoginAttempt.objects.create(at=at, username=name, stage="password", outcome="failed")
    named = child(cast, 2004, "Cũ")  # born before 2026 - 18 - 3 = 2005, has a case
    open_case(child=named, on=dt.date(2022, 10, 1), by=cast.commune_officer)
    return {
        "old_notice": notice(cast, 1, ago(90.01)),
        "new_notice": notice(cast, 2, ago(89.99)),
        "old_queued": notice(cast, 3, ago(100), status="queued"),
        "old_batch": batch(cast, ago(30.01), BatchStatus.CONFIRMED),
        "old_preview": batch(cast, ago(31), BatchStatus.PREVIEWED),
        "new_batch": batch(cast, ago(29.99), BatchStatus.PREVIEWED),
        "gone_child": child(cast, 2004, "Xa"),
        "kept_child": child(cast, 2005, "Gần"),
        "named_child": named,
        "old_export": old_export,
        "new_export": new_export,
    }


def test_each_rule_cuts_exactly_at_its_limit(cast: Cast, rows: dict[str, Any]) -> None:
    report = apply_retention(now=NOW)["rules"]
    assert report["notice_texts"]["notices"] == 1
    old, new, queued = (
        Notice.objects.get(pk=rows[k].pk) for k in ("old_notice", "new_notice", "old_queued")
    )
    assert (old.text, old.address, old.status) == ("", "", "sent")  # the status row stays
    assert new.text and new.address and queued.text  # younger, or not sent yet
    assert report["login_attempts"] == {"keep": 90, "unit": "days", "attempts": 1}
    assert list(LoginAttempt.objects.values_list("username", flat=True)) == ["new"]
    assert report["import_files"] == {
        "keep": 30,
        "unit": "days",
        "batches": 2,
        "previews_cancelled": 1,
    }
    old_batch, old_preview, new_batch = (
        ImportBatch.objects.get(pk=rows[k].pk) for k in ("old_batch", "old_preview", "new_batch")
    )
    assert (old_batch.rows, old_batch.problems, old_batch.summary) == ([], [], {"create": 1})
    assert (old_preview.rows, old_preview.status) == ([], BatchStatus.CANCELLED)
    assert new_batch.rows and new_batch.status == BatchStatus.PREVIEWED
    assert report["resident_children"]["born_before"] == 2005
    assert (report["resident_children"]["deleted"], report["resident_children"]["anonymised"]) == (
        1,
        1,
    )
    assert not ResidentChild.objects.filter(pk=rows["gone_child"].pk).exists()
    assert ResidentChild.objects.get(pk=rows["kept_child"].pk).given_name == "Gần"
    named = ResidentChild.objects.get(pk=rows["named_child"].pk)
    assert (named.family_and_middle_name, named.birth_date, named.notes) == (ERASED, None, "")
    assert (named.birth_year, named.schooling) == (2004, "completed")
    assert report["rights_exports"]["exports"] == 1
    old_export = RightsRequest.objects.get(pk=rows["old_export"].pk)
    assert old_export.export is None and old_export.export_removed_at == NOW
    assert old_export.status == "answered" and old_export.steps.count() == 2
    assert RightsRequest.objects.get(pk=rows["new_export"].pk).export is not None
    # The cast's own rows are untouched (Bình, born 2020).
    assert ResidentChild.objects.filter(pk=cast.child.pk).exists()


def test_a_second_run_changes_nothing(rows: dict[str, Any]) -> None:
    apply_retention(now=NOW)
    again = apply_retention(now=NOW)["rules"]
    assert again["notice_texts"]["notices"] == 0
    assert again["login_attempts"]["attempts"] == 0
    assert (again["import_files"]["batches"], again["import_files"]["previews_cancelled"]) == (0, 0)
    assert (again["resident_children"]["deleted"], again["resident_children"]["anonymised"]) == (
        0,
        0,
    )
    assert again["rights_exports"]["exports"] == 0


def test_dry_run_counts_and_changes_nothing(rows: dict[str, Any]) -> None:
    dry = apply_retention(now=NOW, dry_run=True)
    assert dry["dry_run"] is True
    counts = {
        name: {k: v for k, v in r.items() if k not in ("keep", "unit")}
        for name, r in dry["rules"].items()
    }
    assert counts == {
        "notice_texts": {"notices": 1},
        "login_attempts": {"attempts": 1},
        "import_files": {"batches": 2, "previews_cancelled": 1},
        "resident_children": {"born_before": 2005, "deleted": 1, "anonymised": 1},
        "rights_exports": {"exports": 1},
    }
    assert Notice.objects.get(pk=rows["old_notice"].pk).text
    assert LoginAttempt.objects.count() == 2
    assert ResidentChild.objects.filter(pk=rows["gone_child"].pk).exists()
    assert RightsRequest.objects.get(pk=rows["old_export"].pk).export is not None


def test_settings_override_the_lengths(rows: dict[str, Any]) -> None:
    with override_settings(RETENTION_RULES={"notice_texts": 200, "resident_children": 2}):
        report = apply_retention(now=NOW)["rules"]
    assert report["notice_texts"]["notices"] == 0
    assert report["resident_children"]["born_before"] == 2006
    assert not ResidentChild.objects.filter(pk=rows["kept_child"].pk).exists()  # born 2005
    with pytest.raises(ValueError, match="unknown"):
        retention.keep_for({"audit_log": 1})


def test_the_command_prints_json(rows: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    report = json.loads(out.getvalue())
    assert report["dry_run"] is True
    assert set(report["rules"]) == {r.name for r in retention.RULES}
    assert Notice.objects.get(pk=rows["old_notice"].pk).text  # nothing changed


def test_the_audit_log_is_never_a_rule(rows: dict[str, Any]) -> None:
    assert not any("audit" in r.name for r in retention.RULES)
    events = apps.get_model("audit", "AuditEvent").objects
    before = events.count()
    apply_retention(now=NOW + dt.timedelta(days=10_000))
    assert events.count() == before
