"""Statements sent together (lib/db.py): in order, one round trip on PostgreSQL, and a
failing one fails them all."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from pytest_django import DjangoAssertNumQueries

from dentruong.lib.db import execute_together, insert_statement
from dentruong.orgs.models import SchoolYear

pytestmark = pytest.mark.django_db


def years() -> set[int]:
    return set(SchoolYear.objects.filter(start_year__gte=2040).values_list("start_year", flat=True))


def test_statements_sent_together_run_in_order(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    statements = [
        insert_statement(SchoolYear(start_year=2040)),
        None,
        insert_statement(SchoolYear(start_year=2041)),
    ]
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        execute_together(statements)
    assert years() == {2040, 2041}


def test_a_failing_statement_fails_the_others() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        execute_together(
            [
                insert_statement(SchoolYear(start_year=2042)),
                insert_statement(SchoolYear(start_year=2042)),  # the year is unique
            ]
        )
    assert years() == set()
