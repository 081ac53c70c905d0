"""The schema's migrations: append-only functions, each applied by ``db.migrate`` in one
transaction together with its ``PRAGMA user_version`` bump. Never edit a released migration:
add one (and its fixture: tests/fixtures/make_fixtures.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from crmcli.migrations.base import execute_script, remember_categories
from crmcli.migrations.big_site import m012_recorded_automatic_entries, m013_stored_next_due
from crmcli.migrations.exact_fees import m014_service_fees_in_minor_units
from crmcli.migrations.first_wave import (
    m001_initial,
    m002_attention_and_indexes,
    m003_outcomes,
    m004_covering_indexes,
)
from crmcli.migrations.second_wave import (
    m005_site_clock_and_corrections,
    m006_sensitive_note,
    m007_front_desk,
    m008_name_key_folds_chinese_script,
    m009_handling_sheet,
    m010_property_and_money,
    m011_stored_month_figures,
)
from crmcli.migrations.speed import (
    m015_agenda_reads_what_is_open,
    m016_running_deadlines_and_handover_indexes,
)

__all__ = ["LATEST", "MIGRATIONS", "execute_script", "remember_categories"]


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = [
    m001_initial, m002_attention_and_indexes, m003_outcomes, m004_covering_indexes,
    m005_site_clock_and_corrections, m006_sensitive_note, m007_front_desk,
    m008_name_key_folds_chinese_script, m009_handling_sheet,
    m010_property_and_money, m011_stored_month_figures, m012_recorded_automatic_entries,
    m013_stored_next_due, m014_service_fees_in_minor_units, m015_agenda_reads_what_is_open,
    m016_running_deadlines_and_handover_indexes,
]
LATEST = len(MIGRATIONS)
