"""From a workbook to typed rows with every problem by row and column. No database: the
lookups that need one (villages, classes) are passed in as dictionaries."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from dentruong.imports import columns as C
from dentruong.imports.readers import (
    FORMULA_ERROR,
    FORMULA_WITHOUT_VALUE,
    FileRejected,
    Workbook,
)
from dentruong.lib import legacy_vn, vntext
from dentruong.lib.national_id import InvalidNationalId, validate_national_id
from dentruong.lib.phone import InvalidPhone, normalize_phone
from dentruong.people.ethnicity import ETHNIC_GROUPS
from dentruong.people.forms import MAX_AGE, MIN_AGE, NATIONAL_ID_ERRORS, PHONE_ERRORS
from dentruong.people.models import Gender, SchoolingStatus

HEADER_SCAN_ROWS = 30
TEXT_FIELDS = {
    C.FULL_NAME,
    C.FAMILY,
    C.GIVEN,
    C.GENDER,
    C.FEMALE_MARK,
    C.ETHNICITY,
    C.VILLAGE,
    C.CLASS_NAME,
    C.GUARDIAN_NAME,
    C.SCHOOLING,
    C.NOTES,
}
NAME_FIELDS = {C.FULL_NAME, C.FAMILY, C.GIVEN, C.GUARDIAN_NAME}

# Labels the exports write and the imports read back (Vietnamese, language-independent).
GENDER_TITLES = {Gender.MALE: "Nam", Gender.FEMALE: "Nữ"}
SCHOOLING_TITLES = {
    SchoolingStatus.NOT_YET: "Chưa đến tuổi đi học",
    SchoolingStatus.IN_SCHOOL: "Đang đi học",
    SchoolingStatus.DROPPED_OUT: "Bỏ học",
    SchoolingStatus.NEVER_ENROLLED: "Chưa từng đi học",
    SchoolingStatus.MOVED_AWAY: "Đã chuyển đi",
    SchoolingStatus.COMPLETED: "Đã học xong",
}


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", vntext.fold(text))


@functools.lru_cache(maxsize=4096)
def _cached_key(text: str) -> str:
    """_key of the short values that repeat on every row (gender, ethnicity)."""
    return _key(text)


_GENDERS = {
    **{k: Gender.MALE for k in ("nam", "m", "male", "trai", "namgioi")},
    **{k: Gender.FEMALE for k in ("nu", "f", "female", "gai", "nugioi")},
}
_ETHNICITIES = {_key(name): code for code, name in ETHNIC_GROUPS} | {
    "hmong": "08",
    "meo": "08",
    "khmer": "05",
    "xapho": "40",
    "dantockinh": "01",
}
_SCHOOLING = (
    {_key(title): code for code, title in SCHOOLING_TITLES.items()}
    | {_key(code): code for code in SchoolingStatus.values}
    | {
        "danghoc": SchoolingStatus.IN_SCHOOL,
        "chuadihoc": SchoolingStatus.NEVER_ENROLLED,
        "chuadentuoi": SchoolingStatus.NOT_YET,
        "chuyendi": SchoolingStatus.MOVED_AWAY,
        "hoanthanh": SchoolingStatus.COMPLETED,
        "thoihoc": SchoolingStatus.DROPPED_OUT,
    }
)
_VILLAGE_PREFIXES = [
    tuple(p.split())
    for p in ("to dan pho", "khu pho", "thon", "ban", "xom", "ap", "lang", "buon", "to", "khu")
]
_DATE_DMY = re.compile(r"^(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
EXCEL_EPOCH = dt.date(1899, 12, 30)


class Problem(dict[str, Any]):
    """{row, column, code, message}: JSON as it stands."""

    def __init__(self, row: int, column: str, code: str, detail: str) -> None:
        message = (
            _("Row %(row)s, column %(column)s: %(detail)s")
            % {"row": row, "column": column, "detail": detail}
            if column
            else _("Row %(row)s: %(detail)s") % {"row": row, "detail": detail}
        )
        super().__init__(row=row, column=column, code=code, message=message)


@dataclass
class Table:
    sheet: str
    sheets: list[str]
    header: C.Header
    records: list[tuple[int, dict[str, Any]]]  # (row number, field → raw value)
    problems: list[Problem] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)  # field → legacy encoding found

    def title(self, key: str) -> str:
        col = self.header.column_of(key)
        title = self.header.titles.get(col, "") if col is not None else ""
        return title or str(C.LABELS.get(key, key))


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _head(book: Workbook, name: str) -> list[list[Any]]:
    return [values for _n, values in islice(book.rows(name), HEADER_SCAN_ROWS + 1)]


def read_table(book: Workbook, *, sheet: str | None = None) -> Table:
    """The sheet with a recognisable header (or the one asked for), its rows keyed by
    field, with cell-level problems (too long, formula without value). Legacy fonts are
    detected per column and converted; every text is NFC."""
    names = book.sheet_names()
    header: C.Header | None = None
    if sheet:
        if sheet not in names:
            raise FileRejected(
                "no_sheet",
                _("The workbook has no sheet named '%(name)s'. Sheets: %(names)s.")
                % {"name": sheet, "names": ", ".join(names)},
            )
        chosen = sheet
        header = C.find_header(_head(book, sheet), scan=HEADER_SCAN_ROWS)
    else:
        chosen = ""
        for name in names:
            header = C.find_header(_head(book, name), scan=HEADER_SCAN_ROWS)
            if header is not None:
                chosen = name
                break
    if header is None:
        raise FileRejected(
            "no_header",
            _(
                "No header row found (expected columns such as 'Họ và tên', 'Ngày sinh', "
                "'Giới tính'). Sheets looked at: %(names)s."
            )
            % {"names": ", ".join([chosen] if sheet else names)},
        )
    table = Table(sheet=chosen, sheets=names, header=header, records=[])
    max_rows = _setting("IMPORT_MAX_ROWS", 100_000)
    max_chars = _setting("IMPORT_MAX_CELL_CHARS", 1000)
    fields = sorted(header.fields.items())
    rows: Iterator[tuple[int, list[Any]]] = book.rows(chosen)
    for number, values in rows:
        if number <= header.last_row + 1:
            continue
        record: dict[str, Any] = {}
        for col, key in fields:
            if key == C.ROW_NUMBER or col >= len(values):
                continue
            value = values[col]
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if isinstance(value, str) and len(value) > max_chars:
                table.problems.append(
                    Problem(
                        number,
                        table.title(key),
                        "too_long",
                        _("the cell holds %(n)s characters (at most %(max)s); it was not read.")
                        % {"n": f"{len(value):,}".replace(",", "."), "max": max_chars},
                    )
                )
                value = None
            record[key] = value
        if not record:
            continue  # an empty row, or one with only an STT
        if len(table.records) >= max_rows:
            raise FileRejected(
                "too_many_rows",
                _("The sheet has more than %(max)s rows of data; split the file.")
                % {"max": f"{max_rows:,}".replace(",", ".")},
            )
        table.records.append((number, record))
    _convert_legacy(table)
    return table


def _convert_legacy(table: Table) -> None:
    """One legacy font per sheet (the one the whole sheet's text reads best in); each
    column is converted when it reads better in that font than as it is."""
    keys = sorted(TEXT_FIELDS & table.header.keys)
    by_column = {
        key: legacy_vn.scores(r[key] for _n, r in table.records if isinstance(r.get(key), str))
        for key in keys
    }
    sheet = {name: sum(s[name] for s in by_column.values()) for name in legacy_vn.CONVERTERS}
    sheet[legacy_vn.UNICODE] = min(sheet.values()) - 1  # choose between the two fonts only
    font = legacy_vn.best(sheet)
    if font == legacy_vn.UNICODE:
        return
    for key in keys:
        encoding = legacy_vn.best(by_column[key], (font,))
        if encoding == legacy_vn.UNICODE:
            continue
        table.encodings[key] = encoding
        # The TCVN3 font has no capital toned vowels ("¸nh" is "ánh"): names were meant
        # with every word capitalised.
        capitalise = encoding == legacy_vn.TCVN3 and key in NAME_FIELDS
        for _n, record in table.records:
            value = record.get(key)
            if isinstance(value, str) and not value.startswith("\x00"):
                value = legacy_vn.to_unicode(value, encoding)
                if capitalise:
                    value = " ".join(w[:1].upper() + w[1:] for w in value.split(" "))
                record[key] = value


# --- typed values ---------------------------------------------------------------------------


class Invalid(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _raw(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return vntext.clean(str(value))


def text(value: Any, *, max_length: int) -> str:
    cleaned = _raw(value)
    if len(cleaned) > max_length:
        raise Invalid(
            "too_long",
            _("at most %(max)s characters, not %(n)s.") % {"max": max_length, "n": len(cleaned)},
        )
    return cleaned


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
    elif isinstance(value, str):
        raw = value.strip()
        m = _DATE_DMY.match(raw)
        iso = _DATE_ISO.match(raw)
        try:
            if m:
                return dt.date(int(m[3]), int(m[2]), int(m[1]))
            if iso:
                return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            pass
    raise Invalid(
        "date", _("'%(value)s' is not a valid date (dd/mm/yyyy).") % {"value": _raw(value)}
    )


def parse_year(value: Any) -> int:
    if isinstance(value, dt.date):
        return value.year
    raw = _raw(value)
    if re.fullmatch(r"\d{4}", raw) and 1990 <= int(raw) <= 2100:
        return int(raw)
    raise Invalid("year", _("'%(value)s' is not a birth year.") % {"value": raw})


def parse_gender(value: Any) -> str:
    gender = _GENDERS.get(_cached_key(_raw(value)))
    if gender is None:
        raise Invalid("gender", _("'%(value)s' is not Nam or Nữ.") % {"value": _raw(value)})
    return gender


def parse_ethnicity(value: Any) -> str:
    raw = _raw(value)
    if raw.isdigit() and 1 <= int(raw) <= len(ETHNIC_GROUPS):
        return f"{int(raw):02d}"
    code = _ETHNICITIES.get(_cached_key(raw))
    if code is None:
        raise Invalid(
            "ethnicity", _("'%(value)s' is not one of the 54 ethnic groups.") % {"value": raw}
        )
    return code


def parse_national_id(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A number cell loses the leading zero that every province code has.
        return f"{int(value):012d}"
    return _raw(value)


def parse_phone(value: Any) -> str:
    raw = f"0{int(value)}" if isinstance(value, int | float) else _raw(value)
    try:
        return normalize_phone(raw)
    except InvalidPhone as e:
        raise Invalid("phone", str(PHONE_ERRORS[str(e)])) from None


def parse_schooling(value: Any) -> str:
    code = _SCHOOLING.get(_key(_raw(value)))
    if code is None:
        choices = ", ".join(SCHOOLING_TITLES.values())
        raise Invalid(
            "schooling",
            _("'%(value)s' is not a schooling status (%(choices)s).")
            % {"value": _raw(value), "choices": choices},
        )
    return code


def village_keys(name: str) -> list[str]:
    """'Thôn Bản Vược' → ['thonbanvuoc', 'banvuoc']: with and without its kind word."""
    words = vntext.fold(name).split(" ")
    keys = ["".join(words)]
    for prefix in _VILLAGE_PREFIXES:
        if words[: len(prefix)] == list(prefix) and len(words) > len(prefix):
            keys.append("".join(words[len(prefix) :]))
            break
    return keys


@functools.lru_cache(maxsize=4096)
def _village_keys(name: str) -> tuple[str, ...]:
    return tuple(village_keys(name))


def village_index(villages: list[tuple[int, str]]) -> dict[str, int | None]:
    """Folded village names (and names without 'Thôn'/'Bản'…) → id; None when two
    villages share a key (ambiguous)."""
    index: dict[str, int | None] = {}
    full = {village_keys(name)[0]: pk for pk, name in villages}
    for pk, name in villages:
        for key in village_keys(name):
            if key in full and full[key] != pk:
                continue  # another village's full name wins
            index[key] = pk if index.get(key, pk) == pk else None
    return index


def find_village(index: dict[str, int | None], value: Any) -> int:
    raw = _raw(value)
    for key in _village_keys(raw):
        if key in index:
            pk = index[key]
            if pk is None:
                raise Invalid(
                    "village_ambiguous",
                    _("'%(value)s' matches more than one village.") % {"value": raw},
                )
            return pk
    raise Invalid("village", _("no village named '%(value)s' in this commune.") % {"value": raw})


def class_key(name: str) -> str:
    key = _key(name)
    return key[3:] if key.startswith("lop") and len(key) > 3 else key


# --- rows → values -------------------------------------------------------------------------


@dataclass
class Lookups:
    villages: dict[str, int | None]
    classes: dict[str, int] = field(default_factory=dict)  # class_key → id
    today: dt.date = field(default_factory=dt.date.today)


PersonRow = dict[str, Any]


def _name(
    record: dict[str, Any], table: Table, problems: list[Problem], row: int
) -> tuple[str, str]:
    def fail(key: str, code: str, detail: str) -> tuple[str, str]:
        problems.append(Problem(row, table.title(key), code, detail))
        return "", ""

    if C.FULL_NAME in record:
        try:
            full = text(record[C.FULL_NAME], max_length=151)
        except Invalid as e:
            return fail(C.FULL_NAME, e.code, e.detail)
        words = full.split(" ")
        if len(words) < 2:
            return fail(
                C.FULL_NAME,
                "name_words",
                _("'%(value)s' needs a family name and a given name.") % {"value": full},
            )
        family, given = " ".join(words[:-1]), words[-1]
        if len(family) > 100:
            return fail(C.FULL_NAME, "too_long", _("the family and middle name is too long."))
        return family, given
    family_raw, given_raw = record.get(C.FAMILY), record.get(C.GIVEN)
    if family_raw is None and given_raw is None:
        return fail(C.FULL_NAME, "required", _("the name is missing."))
    if given_raw is None:
        return fail(C.GIVEN, "required", _("the given name is missing."))
    if family_raw is None:
        return fail(C.FAMILY, "required", _("the family and middle name is missing."))
    try:
        family = text(family_raw, max_length=100)
    except Invalid as e:
        return fail(C.FAMILY, e.code, e.detail)
    try:
        given = text(given_raw, max_length=50)
    except Invalid as e:
        return fail(C.GIVEN, e.code, e.detail)
    if " " in given:
        return fail(
            C.GIVEN,
            "given_words",
            _("The given name (tên) is one word; put the rest in the family and middle name."),
        )
    return family, given


def _field(
    record: dict[str, Any],
    key: str,
    parse: Callable[[Any], Any],
    table: Table,
    problems: list[Problem],
    row: int,
    *,
    required: bool = False,
) -> Any:
    value = record.get(key)
    if value is None:
        if required:
            problems.append(Problem(row, table.title(key), "required", _("this cell is empty.")))
        return None
    if value == FORMULA_WITHOUT_VALUE:
        problems.append(
            Problem(
                row,
                table.title(key),
                "formula",
                _("the formula has no value (open and save the file in Excel)."),
            )
        )
        return None
    if value == FORMULA_ERROR:
        problems.append(
            Problem(row, table.title(key), "formula_error", _("the formula gives an error."))
        )
        return None
    try:
        return parse(value)
    except Invalid as e:
        problems.append(Problem(row, table.title(key), e.code, e.detail))
        return None


def person_rows(
    table: Table, lookups: Lookups, *, students: bool
) -> tuple[list[tuple[int, PersonRow]], list[Problem]]:
    """Typed values of each data row (students or resident children), with problems.
    A row with a problem is left out of the values."""
    problems: list[Problem] = list(table.problems)
    bad_rows = {p["row"] for p in problems}
    out: list[tuple[int, PersonRow]] = []
    keys = table.header.keys
    for row, record in table.records:
        found: list[Problem] = []
        family, given = _name(record, table, found, row)
        values: PersonRow = {"family_and_middle_name": family, "given_name": given}
        if C.GENDER in keys:
            values["gender"] = _field(
                record, C.GENDER, parse_gender, table, found, row, required=True
            )
        elif C.FEMALE_MARK in keys:
            values["gender"] = Gender.FEMALE if record.get(C.FEMALE_MARK) else Gender.MALE
        else:
            values["gender"] = None
        birth_date = _field(
            record,
            C.BIRTH_DATE,
            parse_date,
            table,
            found,
            row,
            required=students or C.BIRTH_YEAR not in keys,
        )
        values["birth_date"] = birth_date
        if birth_date is not None:
            if birth_date > lookups.today:
                found.append(
                    Problem(
                        row,
                        table.title(C.BIRTH_DATE),
                        "future",
                        _("The date of birth is in the future."),
                    )
                )
            elif students and not MIN_AGE <= lookups.today.year - birth_date.year <= MAX_AGE:
                found.append(
                    Problem(
                        row,
                        table.title(C.BIRTH_DATE),
                        "age",
                        _("A student must be between %(min)s and %(max)s years old.")
                        % {"min": MIN_AGE, "max": MAX_AGE},
                    )
                )
        if not students:
            year = (
                _field(record, C.BIRTH_YEAR, parse_year, table, found, row)
                if C.BIRTH_YEAR in record
                else None
            )
            if birth_date is not None and year is not None and year != birth_date.year:
                found.append(
                    Problem(
                        row,
                        table.title(C.BIRTH_YEAR),
                        "year_mismatch",
                        _("the birth year does not match the date of birth."),
                    )
                )
            values["birth_year"] = year or (birth_date.year if birth_date else None)
            if values["birth_year"] is not None and not 1990 <= values["birth_year"] <= 2100:
                found.append(
                    Problem(
                        row, table.title(C.BIRTH_YEAR), "year", _("the birth year is out of range.")
                    )
                )
        values["ethnicity"] = _field(
            record, C.ETHNICITY, parse_ethnicity, table, found, row, required=C.ETHNICITY in keys
        )
        values["village_id"] = _field(
            record,
            C.VILLAGE,
            lambda v: find_village(lookups.villages, v),
            table,
            found,
            row,
        )
        nid = _field(record, C.NATIONAL_ID, parse_national_id, table, found, row)
        if nid:
            try:
                nid = validate_national_id(nid, birth_date=birth_date, gender=values["gender"])
            except InvalidNationalId as e:
                found.append(
                    Problem(
                        row, table.title(C.NATIONAL_ID), e.code, str(NATIONAL_ID_ERRORS[e.code])
                    )
                )
        values["national_id"] = nid or None
        if students:
            if C.CLASS_NAME in keys:
                values["class_id"] = _field(
                    record,
                    C.CLASS_NAME,
                    lambda v: _find_class(lookups.classes, v),
                    table,
                    found,
                    row,
                )
            values["guardian_name"] = (
                _field(
                    record, C.GUARDIAN_NAME, lambda v: text(v, max_length=150), table, found, row
                )
                or ""
            )
            values["guardian_phone"] = (
                _field(record, C.GUARDIAN_PHONE, parse_phone, table, found, row) or ""
            )
        else:
            values["schooling"] = _field(
                record, C.SCHOOLING, parse_schooling, table, found, row, required=True
            )
            values["notes"] = (
                _field(record, C.NOTES, lambda v: text(v, max_length=255), table, found, row) or ""
            )
        problems.extend(found)
        if not found and row not in bad_rows:
            out.append((row, values))
    return out, problems


def _find_class(classes: dict[str, int], value: Any) -> int:
    raw = _raw(value)
    pk = classes.get(class_key(raw))
    if pk is None:
        raise Invalid(
            "class", _("there is no class '%(value)s' in this school year.") % {"value": raw}
        )
    return pk
