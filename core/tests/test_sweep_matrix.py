"""The authorization matrix over every registered page, export and API operation (``core.testing.matrix``)."""

import pytest

from core.choices import Action
from core.testing import matrix

pytestmark = pytest.mark.django_db


def test_every_page_export_and_api_operation_answers_as_the_policy_says(sweep_world):
    result = matrix.run(sweep_world)
    assert result.cases > 1000
    assert not result.mismatches, "\n".join(str(m) for m in result.mismatches[:40])


def test_the_table_reading_can_tell_a_wrong_answer(sweep_world):
    """The expectation is not read off the answers: a school-bound persona may not read another school's record."""
    from enrollment.models import Enrollment
    from enrollment.tests.factories import EnrollmentFactory

    w = sweep_world
    theirs = EnrollmentFactory(school=w.washington, school_year=w.year)
    place = matrix.place_of(theirs, [w.lincoln, w.washington, w.other_school])
    assignments = matrix.policy.scope_for(w.enrollment_staff_lincoln).assignments
    assert matrix.scope_label(place, w) == "other school"
    assert not matrix.may(assignments, Enrollment, Action.VIEW, place)
    assert matrix.expected_status(assignments, Enrollment, Action.CHANGE, place, 200) == 404
    manager = matrix.policy.scope_for(w.enrollment_manager).assignments
    assert matrix.expected_status(manager, Enrollment, Action.CHANGE, place, 200) == 200
    principal = matrix.policy.scope_for(w.principal_lincoln).assignments
    mine = EnrollmentFactory(school=w.lincoln, school_year=w.year)
    mine_place = matrix.place_of(mine, [w.lincoln, w.washington, w.other_school])
    assert matrix.expected_status(principal, Enrollment, Action.VIEW, mine_place, 200) == 200
    assert matrix.expected_status(principal, Enrollment, Action.CHANGE, mine_place, 200) == 403


def test_a_broken_answer_is_a_mismatch(sweep_world, monkeypatch):
    """Let every school-bound grant reach every school: the matrix must report it."""
    from core import policy

    real = policy._assignment_q

    def too_wide(model, rule, assignment, reach, served):
        return real(model, rule, assignment, policy.Reach.DISTRICT, served)

    monkeypatch.setattr(policy, "_assignment_q", too_wide)
    result = matrix.run(sweep_world, names=["enrollment_staff_lincoln"], report=False)
    assert result.mismatches
    assert any(m.scope == "other school" and m.persona == "enrollment_staff_lincoln" for m in result.mismatches)
