"""Retention: how long data no longer needed is kept (Law 91/2025: data is deleted when
its purpose ends; vn_domain §7.3 item 2). The table and the cut-offs; pure, no database.
`services.apply_retention` applies it (`manage.py apply_retention`, nightly).

Never the audit log: its rows are evidence and the audit app keeps them immutable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

# The oldest age the commune register serves: PCGD THCS counts 15–18-year-olds
# (vn_domain §1.7), by birth year.
REGISTER_MAX_AGE = 18


@dataclass(frozen=True)
class Rule:
    name: str
    keep: int  # how many `unit`s after the rule's starting point
    unit: str  # "days" or "years"
    what: str  # what goes, what stays (shown by apply_retention and in decision 0012)


RULES: tuple[Rule, ...] = (
    Rule(
        "notice_texts",
        90,
        "days",
        "Text, subject and address of notices created N days ago and no longer pending; "
        "the notice row (kind, day, status, attempts) stays.",
    ),
    Rule(
        "login_attempts",
        90,
        "days",
        "Failed login attempts older than N days (accounts.services.purge_login_attempts).",
    ),
    Rule(
        "import_files",
        30,
        "days",
        "Parsed rows and problems of import batches created N days ago (previews never "
        "confirmed are cancelled); the batch row (file name, SHA-256, counts, who, when) "
        "stays.",
    ),
    Rule(
        "resident_children",
        3,
        "years",
        "Register rows of children born before (this year - 18 - N): deleted, or "
        "anonymised when an outreach case, a support delivery or a rights request "
        "names them.",
    ),
    Rule(
        "rights_exports",
        30,
        "days",
        "The export given for a request to see a child's data, N days after the answer; "
        "the request and its status rows stay.",
    ),
)
RULE_NAMES = frozenset(r.name for r in RULES)


def keep_for(overrides: Mapping[str, int]) -> dict[str, int]:
    """Each rule's length, the settings' overrides (RETENTION_RULES) applied."""
    unknown = set(overrides) - RULE_NAMES
    if unknown:
        raise ValueError(f"RETENTION_RULES: unknown rules {sorted(unknown)}")
    if any(v < 0 for v in overrides.values()):
        raise ValueError("RETENTION_RULES: lengths must not be negative")
    return {r.name: int(overrides.get(r.name, r.keep)) for r in RULES}


def cutoff(now: dt.datetime, days: int) -> dt.datetime:
    """Rows created strictly before this moment are past the rule."""
    return now - dt.timedelta(days=days)


def register_cutoff_year(today: dt.date, years: int) -> int:
    """Children born strictly before this year are past school age by more than `years`."""
    return today.year - REGISTER_MAX_AGE - years
