"""Read-side queries over the people registers: student search and capped counts.

Search is diacritic-insensitive and Đ-aware (both sides folded with `vntext.fold`): each
query word must start some word of the name, in any order ("ngu van" finds Nguyễn Văn
An, "dang" finds Đặng), and a query of 6+ digits matches the start of the national id.

What matches is defined on `search_name` (the folded full name): every query word is
`search_name LIKE 'w%' OR LIKE '% w%'`. At 700,000 students that alone is a table scan,
so an index supplies the rows to check:
- usually the rarest word's entries in `NameToken` (index (token, student); a word
  prefix is the range `w <= token < w_next`): at most CANDIDATE_CAP candidates;
- when one or two words are all common ("nguyen", "nguyen van", "th"), nothing: the
  caller orders by `sort_key` and takes a page, and the database fills it walking that
  index, since such matches are dense and spread through the roster.
Keeping the LIKE conditions on the candidate path is deliberate: it tells PostgreSQL's
planner how few rows match, so it does not walk the roster looking for a clustered tên.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from dentruong.lib import vntext
from dentruong.people.models import NameToken, Student

# A word with at most this many tokens gives the candidates: bounded work (~1 ms per
# thousand on SQLite). Above it, one or two words ("nguyen", "nguyen van") match a large
# share of students spread through the roster: walking the sort_key index fills a page
# quickly. A third common word (a full name, "Nguyễn Thị Hoa") makes the match sparse and
# clustered under one tên, where a walk could cross the whole table: candidates again.
CANDIDATE_CAP = 20_000
MAX_WALK_WORDS = 2
NATIONAL_ID_MIN_DIGITS = 6

_M = TypeVar("_M", bound=Model)


def search_students(queryset: QuerySet[Student], query: str) -> QuerySet[Student]:
    """Students of `queryset` matching `query` (words of the name, or a national id prefix).

    An empty query (or one of punctuation only) leaves `queryset` as it is. The caller
    applies scope and ordering (`order_by("sort_key", "pk")`) and slices a page.
    """
    words = list(dict.fromkeys(vntext.tokens(query)))
    if not words:
        return queryset
    digits = "".join(words)
    if digits.isdigit() and len(digits) >= NATIONAL_ID_MIN_DIGITS:
        return queryset.filter(_national_id_range(digits))
    counts = {word: _token_count(word) for word in words}
    rarest = min(words, key=counts.__getitem__)
    if counts[rarest] == 0:
        return queryset.none()
    # The search_name conditions define the match; the token subquery is the access path.
    matching = queryset.filter(*(_word_prefix(word) for word in words))
    if counts[rarest] > CANDIDATE_CAP and len(words) <= MAX_WALK_WORDS:
        return matching
    candidates = NameToken.objects.filter(_token_range(rarest)).values("student_id")
    return matching.filter(pk__in=candidates)


def count_capped(queryset: QuerySet[_M], cap: int = 1000) -> tuple[int, bool]:
    """(number of rows up to `cap`, whether there are more): never counts a whole province.
    Any model's queryset (students, resident children)."""
    count = queryset.order_by()[: cap + 1].count()
    return min(count, cap), count > cap


def _token_count(word: str) -> int:
    """How many name tokens start with `word`, counted up to CANDIDATE_CAP + 1."""
    tokens = NameToken.objects.filter(_token_range(word))
    return tokens.order_by()[: CANDIDATE_CAP + 1].count()


def _token_range(prefix: str) -> Q:
    """Tokens ([a-z0-9], binary column) starting with `prefix`: an index range scan."""
    return Q(token__gte=prefix, token__lt=prefix[:-1] + chr(ord(prefix[-1]) + 1))


def _national_id_range(digits: str) -> Q:
    """National ids starting with `digits`, as a range the unique index serves under any
    collation (LIKE 'x%' needs a C collation or pattern ops on PostgreSQL)."""
    upper = str(int(digits) + 1).zfill(len(digits))
    if len(upper) > len(digits):  # '999…'
        return Q(national_id__gte=digits)
    return Q(national_id__gte=digits, national_id__lt=upper)


def _word_prefix(word: str) -> Q:
    """Some word of `search_name` (folded, single spaces) starts with `word`."""
    return Q(search_name__startswith=word) | Q(search_name__contains=" " + word)
