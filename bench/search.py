"""Student search at 700,000 students: prints one JSON object.

    .venv/bin/python bench/search.py                       # temp SQLite, load_demo 700k
    .venv/bin/python bench/search.py --synthetic 700000    # temp SQLite, synthetic rows
    .venv/bin/python bench/search.py --sqlite /tmp/s.sqlite3   # kept; filled if empty
    .venv/bin/python bench/search.py --database-url postgres://postgres@127.0.0.1:5432/b
    # PostgreSQL session settings ride on the URL:
    #   …/b?options=-c%20random_page_cost%3D1.1

An existing database with students is used as it is; an empty one is migrated and
filled, by `manage.py load_demo --seed 1 --students N` unless `--synthetic N` is given
(or load_demo does not exist). Synthetic rows: an OrgUnit skeleton (five provinces →
communes → villages and schools), students with generated Vietnamese names (derived
columns from `derived_name_fields`), and their NameToken rows; no SensitiveFacts.
PostgreSQL is VACUUM ANALYZEd after a fill (as autovacuum would); SQLite is left
without statistics unless --analyze (the app never runs ANALYZE; load_demo does).

Each query is `search_students` + a scope filter + `order_by("sort_key", "pk")[:50]`,
evaluated as a list; separately, the `count_capped(…, cap=500)` a list page shows.
Scopes: a province officer (province 15) and a commune officer, each as a single path
join (`school__unit__path__startswith`), as `people.access` builds it today (school
path OR village path), and for the commune also as id lists; and the administrator.
As the machine's own baseline, the same run times a point lookup on the unique
national_id index and a full-table `LIKE '%x%'` scan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# --- Names ------------------------------------------------------------------------------
# (family names, male middles, female middles, male given, female given); repeat to weight.
POOLS: dict[str, tuple[str, str, str, str, str]] = {
    "01": (  # Kinh
        "Nguyễn Nguyễn Nguyễn Nguyễn Nguyễn Nguyễn Nguyễn Trần Trần Trần Lê Lê Lê Phạm Phạm "
        "Hoàng Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh Đào Mai Tô Tôn Hà",
        "Văn Văn Văn Văn Đức Đức Minh Minh Quang Hữu Xuân Thành Công Tiến Gia Anh Quốc Hoàng",
        "Thị Thị Thị Thị Thị Ngọc Thu Thanh Phương Khánh Minh Bảo Hồng Kim Mai Thùy Diệu",
        "An Anh Bình Cường Dũng Đạt Đức Giang Hải Hiếu Hoàng Huy Hùng Khang Khoa Kiên Lâm Long "
        "Minh Nam Nghĩa Phúc Quân Sơn Tài Thắng Thành Tiến Toàn Trung Tuấn Việt Vinh Đăng "
        "Khôi Phong Duy Hưng Bảo Quang Đông Lộc Hòa Hoà Ân Thiện",
        "An Anh Ánh Chi Diệp Dung Giang Hà Hạnh Hằng Hiền Hoa Huyền Hương Lan Linh Linh Loan "
        "Ly Mai My Ngân Ngọc Nhi Nhung Oanh Phương Quỳnh Thảo Thư Trang Trâm Uyên Vân Vy Yến "
        "Hân Thùy Thuỳ Tuyết Ngoan Đào Duyên Hoà Hòa",
    ),
    "08": (  # Mông
        "Sùng Sùng Giàng Giàng Giàng Vàng Vàng Lù Hầu Thào Thào Lò Ly Mùa Tráng Vừ Hạng Lầu",
        "A A A A A Seo",
        "Thị Thị Thị Thị Seo",
        "Páo Chứ Sử Chở Súa Lềnh Tủa Cở Sình Lử Pó Chúng Thề Giống Dính Dế Phổng Sang Ký Dợ",
        "Mỷ Dợ Chở Súa Pủa Sua Mai Dung Lìa Chía Vá Xúa Cáy Pàng Mẩy Say Sinh Dế Ninh Dua",
    ),
    "09": (  # Dao
        "Tẩn Tẩn Tẩn Chảo Chảo Phàn Phàn Lý Đặng Bàn Triệu",
        "Láo Sử Tả Phù Vần Kiều Lở Quẩy Văn Văn",
        "Thị Thị Thị Lở Sử Mẩy",
        "Chàn Kiềm Lở Quẩy Phẩu Sành Tòn Tá Vàng Chiêu Chòi Chạn Dùn Hin Mềnh Phin Siểu",
        "Mẩy Sói Muội Nái Xuân Mai Chài Phấy Dìn Lìu Mùi Xiêm Nhì Sành",
    ),
    "02": (  # Tày
        "Hoàng Hoàng Nông Nông Hà Lương Ma Hứa Đàm Lục Bế Triệu",
        "Văn Văn Văn Đức Thanh Quốc",
        "Thị Thị Thị Thanh Hồng",
        "Quyết Thuận Chiến Vượng Hòa Dũng Hùng Tuấn Sơn Thắng Lâm Tâm Phúc Thái Kiên Hậu",
        "Nhàn Lụa Thơm Nụ Lành Thắm Hoa Hương Mai Thảo Huệ Liên Duyên Hồng",
    ),
    "03": (  # Thái
        "Lò Lò Lò Lường Cầm Quàng Tòng Vì Điêu Hà Lừ Mè",
        "Văn Văn Văn Văn",
        "Thị Thị Thị Thị",
        "Ín Pánh Hặc Bun Chung Duẩn Hom Hưởng Khay Panh Sơn Tiến Xuân Ứng Inh",
        "Bua Ún Xuân Thoa Ngà Lả Hom Sao Nhạn Piệng Ánh Pọm Ển",
    ),
}
SPLIT_POOLS = {code: tuple(tuple(part.split()) for part in pool) for code, pool in POOLS.items()}
# Province (2025 code, pre-2025 birth-registration code for the id, share, ethnic mix).
PROVINCES = [
    ("15", 10, 0.40, {"01": 35, "08": 25, "09": 15, "02": 15, "03": 10}),
    ("08", 8, 0.15, {"01": 55, "02": 30, "09": 10, "08": 5}),
    ("04", 4, 0.10, {"01": 30, "02": 45, "08": 15, "09": 10}),
    ("01", 1, 0.20, {"01": 100}),
    ("79", 79, 0.15, {"01": 100}),
]
STUDENTS_PER_COMMUNE = 2800
VILLAGES_PER_COMMUNE = 6
SCHOOLS_PER_COMMUNE = 3
RARE = [("Nông Thị", "Xuyến")] * 5  # a name nobody else has (rare query)
BATCH = 5000


@functools.cache
def _derived(family: str, given: str) -> dict[str, str]:
    from dentruong.people.services import derived_name_fields

    return derived_name_fields(family, given)


def _name(rng: random.Random, ethnicity: str, gender: str) -> tuple[str, str]:
    families, male_mid, female_mid, male_given, female_given = SPLIT_POOLS[ethnicity]
    middle = rng.choice(male_mid if gender == "M" else female_mid)
    if ethnicity == "01" and rng.random() < 0.25:  # two-word middle names: Nguyễn Thị Minh Anh
        middle += " " + rng.choice(female_mid[5:] if gender == "F" else male_mid[4:])
    given = rng.choice(male_given if gender == "M" else female_given)
    return f"{rng.choice(families)} {middle}", given


def build_synthetic(total: int, seed: int = 1) -> None:
    """Fill an empty, migrated database with `total` students (bulk inserts)."""
    from django.db import connection, transaction

    from dentruong.lib.national_id import make_national_id
    from dentruong.orgs.models import CodeSet, OrgUnit, School, UnitKind
    from dentruong.people.models import Student
    from dentruong.people.services import name_tokens

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    units: list[OrgUnit] = []
    schools: list[School] = []
    communes: list[tuple[str, int, dict[str, int], list[int], list[int]]] = []
    next_id = iter(range(1, 10**9))

    def unit(kind: str, code: str, parent: OrgUnit | None, code_set: str) -> OrgUnit:
        path = OrgUnit.child_path(parent.path if parent else "", code)
        node = OrgUnit(
            id=next(next_id),
            kind=kind,
            code=code,
            code_set=code_set,
            name=f"{kind} {code}",
            parent=parent,
            path=path,
            depth=path.count("/") - 1,
        )
        units.append(node)
        return node

    for code, old_code, share, mix in PROVINCES:
        province = unit(UnitKind.PROVINCE, code, None, CodeSet.GSO_2025)
        for c in range(max(1, round(total * share / STUDENTS_PER_COMMUNE))):
            commune = unit(UnitKind.COMMUNE, f"{code}{c:03d}", province, CodeSet.GSO_2025)
            villages = [
                unit(UnitKind.VILLAGE, f"V{v:02d}", commune, CodeSet.LOCAL).pk
                for v in range(VILLAGES_PER_COMMUNE)
            ]
            school_ids = []
            for s in range(SCHOOLS_PER_COMMUNE):
                node = unit(UnitKind.SCHOOL, f"S{code}{c:03d}{s}", commune, CodeSet.MOET)
                school = School(
                    id=node.pk,
                    unit=node,
                    commune=commune,
                    name=node.name,
                    levels=("MN", "TH", "THCS")[s],
                )
                schools.append(school)
                school_ids.append(school.pk)
            communes.append((code, old_code, mix, villages, school_ids))
    by_province: dict[str, list[tuple[int, dict[str, int], list[int], list[int]]]] = {}
    for code, old_code, mix, villages, school_ids in communes:
        by_province.setdefault(code, []).append((old_code, mix, villages, school_ids))
    weights = [share for _, _, share, _ in PROVINCES]
    codes = [code for code, _, _, _ in PROVINCES]

    def students() -> Iterator[Student]:
        for pk in range(1, total + 1):
            province = rng.choices(codes, weights)[0]
            old_code, mix, villages, school_ids = rng.choice(by_province[province])
            ethnicity = rng.choices(list(mix), list(mix.values()))[0]
            gender = rng.choice("MF")
            birth = dt.date(rng.randint(2008, 2020), rng.randint(1, 12), rng.randint(1, 28))
            if pk <= len(RARE):
                family, given = RARE[pk - 1]
            else:
                family, given = _name(rng, ethnicity, gender)
            yield Student(
                id=pk,
                national_id=make_national_id(
                    province=old_code, birth_year=birth.year, gender=gender, serial=pk
                ),
                birth_date=birth,
                gender=gender,
                ethnicity=ethnicity,
                village_id=rng.choice(villages),
                school_id=rng.choice(school_ids) if rng.random() < 0.92 else None,
                created_at=now,
                updated_at=now,
                **_derived(family, given),
            )

    with transaction.atomic():
        OrgUnit.objects.bulk_create(units, batch_size=BATCH)
        School.objects.bulk_create(schools, batch_size=BATCH)
        batch: list[Student] = []
        for student in students():
            batch.append(student)
            if len(batch) == BATCH:
                _insert(batch, name_tokens)
                batch = []
        _insert(batch, name_tokens)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("people_student", "people_nametoken", "orgs_orgunit", "orgs_school"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )


def _insert(batch: list[Any], name_tokens: Callable[[Any], list[Any]]) -> None:
    from dentruong.people.models import NameToken, Student

    Student.objects.bulk_create(batch)
    NameToken.objects.bulk_create([t for s in batch for t in name_tokens(s)], batch_size=BATCH)


def _has_sqlite_stats() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone():
            return False
        cursor.execute("SELECT COUNT(*) FROM sqlite_stat1")
        return bool(cursor.fetchone()[0])


# --- Queries -------------------------------------------------------------------------------


def rare_name() -> tuple[str, str, int]:
    """The word that starts the fewest name words (as a prefix: "la" also starts "lan"),
    the full name of a student who has it, and how many tokens it starts."""
    from django.db.models import Count

    from dentruong.people.models import NameToken, Student
    from dentruong.people.selectors import _token_count

    rarest = NameToken.objects.values("token").annotate(n=Count("pk")).order_by("n", "token")
    word = min((row["token"] for row in rarest[:30]), key=_token_count)
    student = Student.objects.filter(name_tokens__token=word).order_by("pk").first()
    assert student is not None, "no names in the data"
    return word, student.full_name, _token_count(word)


def query_list(sample_id: str, rare: tuple[str, str, int]) -> list[tuple[str, str]]:
    return [
        ("full_name", "Nguyễn Văn An"),
        ("full_name", "Đặng Thị Ánh"),
        ("full_name", "Sùng A Páo"),
        ("full_name", "Giàng Thị Mỷ"),
        ("full_name", "Tẩn Láo Lở"),
        ("full_name", "Trần Thị Hoà"),
        ("given_name", "Linh"),
        ("given_name", "Páo"),
        ("given_name", "anh"),
        ("given_name", "Hùng"),
        ("family_given", "nguyen linh"),
        ("family_given", "giang my"),
        ("family_given", "tran hung"),
        ("family_given", "hoang hoa"),
        ("prefix", "ngu van a"),
        ("prefix", "tr th h"),
        ("prefix", "ng"),
        ("prefix", "pha du"),
        ("prefix", "sung pa"),
        ("common", "nguyen van"),
        ("common", "nguyen thi"),
        ("common", "thi"),
        ("rare", rare[1]),
        ("rare", rare[0]),
        ("no_match", "Zô Zép"),
        ("national_id", sample_id),
        ("national_id_prefix", sample_id[:8]),
        ("national_id_prefix", sample_id[:6]),
        ("anti_correlated", "van thi"),  # two common words that rarely meet: worst case
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float | int]:
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "max_ms": round(max(values), 2),
    }


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def scopes() -> dict[str, Any]:
    """Scope filters as a province officer, a commune officer and the admin have them."""
    from django.db.models import Q

    from dentruong.orgs.models import OrgUnit, School, UnitKind
    from dentruong.people.models import Student

    communes = OrgUnit.objects.filter(kind=UnitKind.COMMUNE, path__startswith="15/")
    # Xã Bát Xát when the demo is loaded, else the first commune of the province.
    commune = communes.filter(code="02683").first() or communes.order_by("path").first()
    assert commune is not None, "no commune in province 15"
    province, commune_path = "15/", commune.path

    def access(path: str) -> Q:  # as dentruong.people.access._student_q builds it
        return Q(school__unit__path__startswith=path) | Q(village__path__startswith=path)

    def by_ids(path: str) -> Q:  # the same scope as id lists: index lookups on both FKs
        schools = School.objects.filter(unit__path__startswith=path).values_list("pk", flat=True)
        units = OrgUnit.objects.filter(path__startswith=path).values_list("pk", flat=True)
        return Q(school_id__in=list(schools)) | Q(village_id__in=list(units))

    return {
        "province_school_path": Student.objects.filter(school__unit__path__startswith=province),
        "province_access_q": Student.objects.filter(access(province)),
        "commune_school_path": Student.objects.filter(school__unit__path__startswith=commune_path),
        "commune_access_q": Student.objects.filter(access(commune_path)),
        "commune_id_lists": Student.objects.filter(by_ids(commune_path)),
        "admin": Student.objects.all(),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command, get_commands
    from django.db import connection

    from dentruong.people.models import NameToken, Student
    from dentruong.people.selectors import count_capped, search_students

    build: dict[str, Any] = {}
    call_command("migrate", verbosity=0)
    if not Student.objects.exists():
        start = time.perf_counter()
        if args.synthetic or "load_demo" not in get_commands():
            build["method"] = "synthetic"
            build_synthetic(args.synthetic or args.students)
        else:
            build["method"] = "load_demo"
            call_command(
                "load_demo", "--seed", "1", "--students", str(args.students), stdout=sys.stderr
            )
        build["seconds"] = round(time.perf_counter() - start, 1)
    # PostgreSQL's autovacuum analyzes a freshly loaded table; do it now rather than
    # racing it. SQLite has statistics only if someone runs ANALYZE (the app does not).
    if connection.vendor == "postgresql" or args.analyze:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    build["sqlite_stat1"] = connection.vendor == "sqlite" and _has_sqlite_stats()
    if args.build_only:
        return {"students": Student.objects.count(), "build": build}

    sample_id = Student.objects.order_by("pk").values_list("national_id", flat=True)[
        Student.objects.count() // 2
    ]
    rare = rare_name()
    queries = query_list(sample_id, rare)
    rng = random.Random(args.seed)
    drawn = [rng.choice(queries) for _ in range(args.queries)]
    drawn += [q for q in queries if q not in drawn]  # every query at least once

    def page(base: Any, text: str) -> list[Any]:
        return list(search_students(base, text).order_by("sort_key", "pk")[:50])

    def capped_count(base: Any, text: str) -> tuple[int, bool]:
        return count_capped(search_students(base, text), cap=500)

    results: dict[str, Any] = {}
    for name, base in scopes().items():
        for _, text in queries:  # warm the caches once, as a running server has them
            page(base, text)
        by_kind: dict[str, list[float]] = {}
        by_query: dict[str, list[float]] = {}
        counts: list[float] = []
        for kind, text in drawn:
            ms = timed(functools.partial(page, base, text))
            by_kind.setdefault(kind, []).append(ms)
            by_query.setdefault(text, []).append(ms)
            counts.append(timed(functools.partial(capped_count, base, text)))
        every = [ms for values in by_kind.values() for ms in values]
        slowest = sorted(by_query.items(), key=lambda item: -statistics.median(item[1]))[:5]
        results[name] = {
            **summary(every),
            "by_kind": {kind: summary(values) for kind, values in by_kind.items()},
            "slowest_queries_median_ms": {q: round(statistics.median(v), 1) for q, v in slowest},
            "count_capped_500": summary(counts),
        }

    def point_lookup() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM people_student WHERE national_id = %s", [sample_id])
            cursor.fetchall()

    def like_scan() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM people_student WHERE search_name LIKE %s", ["%xuyen%"]
            )
            cursor.fetchall()

    settings: dict[str, Any] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name in ("shared_buffers", "random_page_cost", "max_parallel_workers_per_gather"):
                cursor.execute(f"SHOW {name}")
                settings[name] = cursor.fetchone()[0]
    return {
        "database": connection.vendor,
        "database_settings": settings,
        "database_version": getattr(connection, "pg_version", None) or sqlite3.sqlite_version,
        "students": Student.objects.count(),
        "name_tokens": NameToken.objects.count(),
        "build": build,
        "queries_timed_per_scope": len(drawn),
        "queries": [text for _, text in queries],
        "rare_word_tokens": rare[2],
        "baseline": {
            "point_lookup_ms": summary([timed(point_lookup) for _ in range(50)]),
            "full_table_like_scan_ms": summary([timed(like_scan) for _ in range(5)]),
        },
        "scopes": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--sqlite", help="SQLite file (created and filled when empty)")
    target.add_argument("--database-url", help="postgres://… of an existing database")
    parser.add_argument("--students", type=int, default=700_000)
    parser.add_argument("--synthetic", type=int, metavar="N", help="fill with N synthetic rows")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    parser.add_argument("--analyze", action="store_true", help="ANALYZE SQLite first")
    parser.add_argument("--build-only", action="store_true", help="fill the database, no timing")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dentruong.settings")
    temp_dir = None
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        if not args.sqlite:
            temp_dir = tempfile.mkdtemp(prefix="dentruong-bench-")
        os.environ["SQLITE_PATH"] = args.sqlite or str(Path(temp_dir or ".") / "bench.sqlite3")
    try:
        print(json.dumps(run(args), indent=2, ensure_ascii=False))
    finally:
        if temp_dir and not args.keep:
            for path in Path(temp_dir).iterdir():
                path.unlink()
            os.rmdir(temp_dir)


if __name__ == "__main__":
    main()
