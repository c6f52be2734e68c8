"""Outreach objects of the cast, for tests/test_scope.py and the app's tests."""

from __future__ import annotations

import datetime as dt

from dentruong.accounts.models import Membership
from dentruong.outreach import services
from dentruong.outreach.models import (
    Case,
    CaseStatus,
    MentorPair,
    PartnerCaseList,
    SupportProgramme,
    VillageMeeting,
)
from tests.cast import Cast

OPENED = dt.date(2026, 11, 20)


def open_case(c: Cast) -> Case:
    """The cast student's open case (opened on 20/11/2026 if there is none)."""
    found = Case.objects.filter(student=c.student, status=CaseStatus.OPEN).first()
    return found or services.open_case(student=c.student, on=OPENED, by=None)


def programme(c: Cast) -> SupportProgramme:
    found = SupportProgramme.objects.filter(commune=c.commune).first()
    return found or SupportProgramme.objects.create(
        commune=c.commune, kind="bicycle", name="Xe đạp 2026", measure="items", capacity=5
    )


def mentor_pair(c: Cast) -> MentorPair:
    """Tâm mentors the cast student."""
    found = MentorPair.objects.filter(student=c.student, end__isnull=True).first()
    return found or services.pair_mentor(mentor=c.teacher, student=c.student, on=OPENED, by=None)


def village_meeting(c: Cast) -> VillageMeeting:
    found = VillageMeeting.objects.filter(commune=c.commune).first()
    return found or services.plan_meeting(
        commune=c.commune,
        village=c.village,
        starts_at=dt.datetime(2026, 11, 19, 18, 30, tzinfo=dt.UTC),
        roles=["village_head", "parents"],
        households=[c.household],
        by=None,
    )


def partner_list(c: Cast) -> PartnerCaseList:
    """The cast student's case shared with Đoàn (Youth Union) until the campaign's end."""
    found = PartnerCaseList.objects.filter(membership__user=c.partner).first()
    if found is not None:
        return found
    membership = Membership.objects.get(user=c.partner, role="partner")
    assert membership.expires_on is not None
    shared = PartnerCaseList.objects.create(
        membership=membership, name="Tiếp sức đến trường", until=membership.expires_on
    )
    shared.cases.set([open_case(c)])
    return shared
