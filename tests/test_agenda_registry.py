"""The agenda is a registry of sources: every kind it lists explains itself and is tested.

Adding a kind of obligation is adding a source module to ``crmcli.services.agenda.SOURCES``;
this test then asks for its help text, its rule test (named in ``RULE_TESTS``) and its
query-plan test (``tests/test_query_plans.py`` runs `visit due --kind K` for every kind).
"""

from __future__ import annotations

import importlib
import json

import pytest
from conftest import Cli

from crmcli.services import agenda

# kind -> the test of its rule, written from the seed (module::function)
RULE_TESTS = {
    "complaint": "test_visits_cli::"
                 "test_the_follow_up_of_a_closed_complaint_is_due_24h_later_and_answered_by_the_visit",
    "repair": "test_visits_cli::test_a_follow_up_due_at_14_00_is_overdue_at_14_01",
    "paid": "test_visits_cli::test_repairs_and_paid_services_schedule_their_follow_up",
    "survey": "test_visits_cli::test_the_week_window_for_answering_a_scheduled_visit",
    "routine": "test_visits_cli::test_a_visit_answers_the_scheduled_one_due_within_the_week",
    "care": "test_visits_cli::test_the_week_window_for_answering_a_scheduled_visit",
    "cadence": "test_cadence::test_next_contact",
    "annual": "test_cadence::test_next_in_person",
    "response": "test_rules_complaints::test_timer",
    "report": "test_rules_complaints::test_timer",
    "resolve": "test_rules_complaints::test_timer",
    "unsatisfied": "test_site_rules::"
                   "test_a_follow_up_rated_1_to_2_or_unresolved_goes_to_the_area_manager",
    "reply": "test_front_desk_rules::test_reply_deadline",
    "meeting": "test_front_desk_rules::test_quarters_and_the_meeting_warning",
    "signoff": "test_front_desk_rules::test_signoff_days",
    "notice": "test_front_desk_rules::test_recurring_notice_due",
    "plan": "test_handling_sheet::"
            "test_a_plan_still_owed_is_on_the_agenda_of_the_complaints_owner",
    "referral": "test_handling_sheet::test_an_open_letter_past_its_due_is_on_the_senders_agenda",
    "residence": "test_property_rules::test_handover_owed",
    "inspection": "test_property_rules::test_handover_plan_in_calendar_months",
    "invitation": "test_property_rules::test_handover_owed",
    "renewal": "test_property_rules::test_renewal_window",
    "invoice": "test_property_cli::test_part_payments_to_the_cent",
    "refused-payment": "test_property_cli::test_refused_payment_is_an_emergency_report",
    "review": "test_property_rules::test_review_months",
}


def test_kinds_are_unique_lower_case_words() -> None:
    kinds = [kind for source in agenda.SOURCES for kind in source.kinds]
    assert len(kinds) == len(set(kinds))
    assert all(kind.replace("-", "").isalpha() and kind == kind.lower() for kind in kinds)
    assert tuple(kinds) == agenda.DUE_KINDS
    for group, members in agenda.KIND_GROUPS.items():
        assert group not in kinds
        assert set(members) <= set(kinds)


@pytest.mark.parametrize("source", agenda.SOURCES, ids=lambda s: s.name)
def test_every_kind_has_help_text(source: agenda.Source) -> None:
    assert source.kinds
    for kind, text in source.help.items():
        assert len(text) > 20, kind
        assert "owed" in text or "owes" in text, f"{kind}: say who owes it"


@pytest.mark.parametrize("kind", agenda.DUE_KINDS)
def test_every_kind_has_a_rule_test(kind: str) -> None:
    assert kind in RULE_TESTS, f"name the rule test of {kind!r} in RULE_TESTS"
    module, function = RULE_TESTS[kind].split("::")
    assert callable(getattr(importlib.import_module(module), function))


def test_rule_tests_name_only_kinds_of_the_registry() -> None:
    assert set(RULE_TESTS) <= set(agenda.DUE_KINDS)


def test_every_kind_has_a_query_plan_test() -> None:
    plans = importlib.import_module("test_query_plans")
    assert set(plans.AGENDA_KINDS) == set(agenda.DUE_KINDS)


def test_visit_kinds_lists_the_registry(cli: Cli) -> None:
    rows = json.loads(cli.ok("visit", "kinds", "--format", "json"))
    assert [row["kind"] for row in rows] == list(agenda.DUE_KINDS)
    assert {row["kind"]: row["group"] for row in rows}["repair"] == "followup"
    assert all(row["help"] for row in rows)
