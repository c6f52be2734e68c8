from __future__ import annotations

import unicodedata

import pytest
from django.core.management import CommandError, call_command
from pytest_django import DjangoAssertNumQueries

from dentruong.orgs.models import CodeSet, OrgUnit, UnitKind
from dentruong.orgs.services import LoadResult, UnitLoadError, load_administrative_units
from tests.cast import Cast

pytestmark = pytest.mark.django_db

ALL = 34 + 3321


def test_loads_34_provinces_and_3321_communes() -> None:
    result = load_administrative_units()

    assert result == LoadResult(created=ALL, updated=0, unchanged=0)
    units = OrgUnit.objects.filter(code_set=CodeSet.GSO_2025)
    assert units.filter(kind=UnitKind.PROVINCE, depth=0, parent=None).count() == 34
    assert units.filter(kind=UnitKind.COMMUNE, depth=1).count() == 3321
    assert units.filter(kind=UnitKind.COMMUNE, parent=None).count() == 0
    assert all(unicodedata.is_normalized("NFC", n) for n in units.values_list("name", flat=True))


def test_codes_are_zero_padded_and_paths_follow_the_parent() -> None:
    load_administrative_units()

    lao_cai = OrgUnit.objects.get(code_set=CodeSet.GSO_2025, kind=UnitKind.PROVINCE, code="15")
    bat_xat = OrgUnit.objects.get(code_set=CodeSet.GSO_2025, kind=UnitKind.COMMUNE, code="02683")
    assert (lao_cai.name, lao_cai.path, lao_cai.depth) == ("Lào Cai", "15/", 0)
    assert (bat_xat.name, bat_xat.path, bat_xat.depth) == ("Xã Bát Xát", "15/02683/", 1)
    assert bat_xat.parent == lao_cai
    assert OrgUnit.objects.get(path="01/").name == "Thành phố Hà Nội"
    assert OrgUnit.objects.get(path="01/00070/").name == "Phường Hoàn Kiếm"
    # Every commune's path is its parent's path plus its own code.
    for path, code, parent_path in OrgUnit.objects.filter(depth=1).values_list(
        "path", "code", "parent__path"
    ):
        assert path == f"{parent_path}{code}/"
        assert len(code) == 5


def test_second_run_creates_nothing() -> None:
    load_administrative_units()
    ids = set(OrgUnit.objects.values_list("pk", flat=True))

    assert load_administrative_units() == LoadResult(created=0, updated=0, unchanged=ALL)
    assert set(OrgUnit.objects.values_list("pk", flat=True)) == ids


def test_second_run_takes_a_fixed_number_of_queries(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    load_administrative_units()
    with django_assert_num_queries(3):  # savepoint, one read of the existing rows, release
        load_administrative_units()


def test_renamed_unit_is_restored() -> None:
    load_administrative_units()
    OrgUnit.objects.filter(path="15/02683/").update(name="TT Bát Xát")

    assert load_administrative_units() == LoadResult(created=0, updated=1, unchanged=ALL - 1)
    assert OrgUnit.objects.get(path="15/02683/").name == "Xã Bát Xát"


def test_deleted_commune_is_recreated_under_its_province() -> None:
    load_administrative_units()
    OrgUnit.objects.filter(path="15/02683/").delete()

    assert load_administrative_units().created == 1
    assert OrgUnit.objects.get(path="15/02683/").parent == OrgUnit.objects.get(path="15/")


def test_province_option_limits_the_load(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_units", "--province", "15", "--province", "1")

    assert set(OrgUnit.objects.filter(depth=0).values_list("code", flat=True)) == {"01", "15"}
    assert not OrgUnit.objects.exclude(path__startswith="01/").exclude(path__startswith="15/")
    n = OrgUnit.objects.count()
    assert f"thêm mới {n}, cập nhật 0, giữ nguyên 0" in capsys.readouterr().out

    # The rest can be loaded later; the two provinces already there are left alone.
    assert load_administrative_units() == LoadResult(created=ALL - n, updated=0, unchanged=n)


@pytest.mark.parametrize("code", ["10", "99", "x", "015", "", "1.5"])
def test_bad_province_code_is_an_error(code: str) -> None:
    with pytest.raises(CommandError, match="Mã tỉnh không tồn tại"):
        call_command("load_units", "--province", code)
    assert not OrgUnit.objects.exists()


def test_bad_code_among_good_ones_loads_nothing() -> None:
    with pytest.raises(UnitLoadError, match="10"):
        load_administrative_units(provinces=["15", "10"])
    assert not OrgUnit.objects.exists()


def test_command_prints_one_line_summary(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_units")
    call_command("load_units")

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert f"thêm mới {ALL}, cập nhật 0, giữ nguyên 0" in lines[0]
    assert f"thêm mới 0, cập nhật 0, giữ nguyên {ALL}" in lines[1]


def test_loads_into_an_existing_tree_without_moving_it(cast: Cast) -> None:
    """The cast's province and communes are kept (same rows), only renamed to the package's."""
    result = load_administrative_units(provinces=["15"])

    assert result.updated == 1  # "Tỉnh Lào Cai" → "Lào Cai"
    assert result.unchanged == 2  # Xã Bát Xát, Xã Y Tý
    cast.province.refresh_from_db()
    assert cast.province.name == "Lào Cai"
    assert OrgUnit.objects.get(path="15/02683/") == cast.commune
    assert OrgUnit.objects.within(cast.commune.path).count() == 4  # commune, 2 villages, school


def test_clash_with_a_unit_of_another_code_set_is_an_error() -> None:
    OrgUnit.objects.create(
        kind=UnitKind.PROVINCE,
        code="15",
        code_set=CodeSet.LOCAL,
        name="Yên Bái?",
        path="15/",
        depth=0,
    )
    with pytest.raises(UnitLoadError, match="15/"):
        load_administrative_units(provinces=["15"])
    assert OrgUnit.objects.count() == 1
