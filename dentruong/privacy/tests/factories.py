"""Rights requests for the named cast (tests/cast.py)."""

from __future__ import annotations

from dentruong.privacy import services
from dentruong.privacy.models import RequestKind, RightsRequest
from tests.cast import Cast


def rights_request(cast: Cast, kind: str = RequestKind.ACCESS) -> RightsRequest:
    """Ánh's father asks, through Lan (school leader), about Ánh's data."""
    return services.register_request(
        student=cast.student,
        kind=kind,
        requester_name="Đặng Văn Sử",
        requester_relationship="father",
        requester_contact="0912 345 678",
        by=cast.school_leader,
    )


def answered_access_request(cast: Cast) -> RightsRequest:
    request = rights_request(cast)
    return services.answer_access(request=request, by=cast.school_leader)
