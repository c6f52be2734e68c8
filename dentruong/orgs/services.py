"""Writes to the organisation tree.

`load_administrative_units()` loads the 2025 administrative units (34 provinces, 3,321
communes, wards and special zones) from the `vietnam-provinces` package. It compares
with the rows already there in one query, so running it again creates nothing and only
renames what the package renamed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import vietnam_provinces
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from vietnam_provinces import Province, Ward

from dentruong.lib import vntext
from dentruong.orgs.models import CodeSet, OrgUnit, UnitKind

BATCH_SIZE = 500
DATA_VERSION: str = vietnam_provinces.__data_version__


class UnitLoadError(ValueError):
    """The requested load cannot be done (unknown province, clash with existing rows)."""


@dataclass(frozen=True)
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class _Wanted:
    kind: str
    code: str
    name: str
    parent_path: str

    @property
    def path(self) -> str:
        return OrgUnit.child_path(self.parent_path, self.code)


def province_code(code: int | str) -> str:
    """'15' for 15, '1' or '01'; the GSO 2025 province codes have two digits."""
    return f"{int(code):02d}"


def ward_code(code: int | str) -> str:
    """'02683' for 2683; the GSO 2025 commune codes have five digits."""
    return f"{int(code):05d}"


def place_unit(unit: OrgUnit, parent: OrgUnit | None) -> None:
    """Set `parent`, `path` and `depth` of an unsaved or moved unit from its code."""
    unit.parent = parent
    unit.path = OrgUnit.child_path(parent.path if parent else "", unit.code)
    unit.depth = parent.depth + 1 if parent else 0


def _selected_provinces(provinces: list[str] | None) -> list[Province]:
    known = {province_code(p.code): p for p in Province.iter_all()}
    if provinces is None:
        return list(known.values())
    unknown = [
        c for c in provinces if not (re.fullmatch(r"[0-9]{1,2}", c) and province_code(c) in known)
    ]
    if unknown:
        raise UnitLoadError(
            _(
                "Unknown province code(s): %(codes)s. Use the two-digit codes in force since "
                "1 July 2025, e.g. 15 for Lào Cai (%(count)d provinces)."
            )
            % {"codes": ", ".join(unknown), "count": len(known)}
        )
    chosen = {province_code(c) for c in provinces}
    return [p for code, p in known.items() if code in chosen]


def _wanted_units(provinces: list[Province]) -> list[_Wanted]:
    wanted: list[_Wanted] = []
    for province in provinces:
        p_code = province_code(province.code)
        wanted.append(_Wanted(UnitKind.PROVINCE, p_code, vntext.clean(province.name), ""))
        wanted.extend(
            _Wanted(UnitKind.COMMUNE, ward_code(w.code), vntext.clean(w.name), f"{p_code}/")
            for w in Ward.iter_by_province(province.code)
        )
    return wanted


def _existing(wanted: list[_Wanted]) -> tuple[dict[str, OrgUnit], dict[tuple[str, str], OrgUnit]]:
    """Rows that a load could meet, by path and by (kind, code): one query.

    Every wanted unit sits at depth 0 or 1, so rows at those depths catch any clash on
    the path; the official GSO-2025 rows catch a clash on the official code.
    """
    kinds = {w.kind for w in wanted}
    rows = OrgUnit.objects.filter(
        Q(depth__lte=1) | Q(code_set=CodeSet.GSO_2025, kind__in=kinds)
    ).only("kind", "code", "code_set", "name", "path", "depth", "parent_id")
    by_path = {row.path: row for row in rows}
    by_code = {
        (row.kind, row.code): row for row in by_path.values() if row.code_set == CodeSet.GSO_2025
    }
    return by_path, by_code


def _check_clash(want: _Wanted, at_path: OrgUnit | None, same_code: OrgUnit | None) -> None:
    if at_path is not None and at_path is not same_code:
        raise UnitLoadError(
            _("Path %(path)s is already used by “%(name)s” (%(kind)s, %(code_set)s).")
            % {
                "path": want.path,
                "name": at_path.name,
                "kind": at_path.kind,
                "code_set": at_path.code_set,
            }
        )
    if same_code is not None and at_path is None:
        raise UnitLoadError(
            _("“%(name)s” (%(code)s) is already in the tree at %(path)s, expected at %(wanted)s.")
            % {
                "name": same_code.name,
                "code": same_code.code,
                "path": same_code.path,
                "wanted": want.path,
            }
        )


@transaction.atomic
def load_administrative_units(*, provinces: list[str] | None = None) -> LoadResult:
    """Create or rename the GSO-2025 provinces and communes (all, or of `provinces`)."""
    wanted = _wanted_units(_selected_provinces(provinces))
    by_path, by_code = _existing(wanted)

    to_create: list[_Wanted] = []
    to_rename: list[OrgUnit] = []
    unchanged = 0
    for want in wanted:
        row = by_code.get((want.kind, want.code))
        _check_clash(want, by_path.get(want.path), row)
        if row is None:
            to_create.append(want)
        elif row.name != want.name:
            row.name = want.name
            to_rename.append(row)
        else:
            unchanged += 1

    # Provinces first: the communes need their ids.
    parent_ids = {path: row.pk for path, row in by_path.items() if row.depth == 0}
    for level in (UnitKind.PROVINCE, UnitKind.COMMUNE):
        new = [
            OrgUnit(
                kind=w.kind,
                code=w.code,
                code_set=CodeSet.GSO_2025,
                name=w.name,
                parent_id=parent_ids.get(w.parent_path),
                path=w.path,
                depth=w.path.count("/") - 1,
            )
            for w in to_create
            if w.kind == level
        ]
        OrgUnit.objects.bulk_create(new, batch_size=BATCH_SIZE)
        if level == UnitKind.PROVINCE and new:
            parent_ids.update(
                OrgUnit.objects.filter(path__in=[u.path for u in new]).values_list("path", "pk")
            )
    OrgUnit.objects.bulk_update(to_rename, ["name"], batch_size=BATCH_SIZE)
    return LoadResult(created=len(to_create), updated=len(to_rename), unchanged=unchanged)
