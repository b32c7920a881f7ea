"""API fuzzing with schemathesis over the project's own OpenAPI schema (``core.testing.fuzzing``).

It runs through the WSGI application in the test's transaction, so it runs on
SQLite and in the PostgreSQL CI run alike.
"""

import pytest

from core.testing import fuzzing

pytestmark = pytest.mark.django_db


def test_no_operation_answers_a_server_error_or_off_its_schema(sweep_world):
    result = fuzzing.run(sweep_world)
    answered = {caller for (caller, status), n in result.statuses.items() if status < 300}
    assert answered == set(result.callers), f"every caller gets some answers through: {result.statuses}"
    assert result.operations >= 70 and result.requests >= result.operations * len(result.callers)
    assert not result.server_errors, "\n".join(result.server_errors[:30])
    assert not result.mismatches, "\n".join(result.mismatches[:15])


def test_the_schema_check_can_fail(sweep_world):
    """An answer off its schema is reported: the checks are live, not swallowed."""
    from schemathesis import openapi

    schema = fuzzing.project_schema()
    student = schema["components"]["schemas"]["Student"]
    student["required"] = [*student.get("required", []), "no_such_field"]
    loaded = openapi.from_dict(schema)
    from django.core.handlers.wsgi import WSGIHandler

    loaded.app = WSGIHandler()
    operation = loaded["/api/enrollment/students/{id}/"]["GET"]
    from enrollment.tests.factories import EnrollmentFactory

    student_row = EnrollmentFactory(school=sweep_world.lincoln, school_year=sweep_world.year).student
    headers, cookies = fuzzing.credentials(sweep_world.coo)
    case = operation.Case(path_parameters={"id": student_row.pk})
    with fuzzing.same_connection():
        response = case.call(headers=headers, cookies=cookies)
    assert response.status_code == 200
    with pytest.raises(BaseException) as caught:  # schemathesis raises a group of failures
        case.validate_response(response, checks=[fuzzing.response_schema_conformance])
    assert "no_such_field" in fuzzing._first_failure(caught.value)
