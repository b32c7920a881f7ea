"""The chassis's bulk writers: COPY text, audit values as JSON, rows without instances and their audit."""

import datetime
import decimal
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import audit, bulk, context
from core.models import AuditEntry
from core.tests.sample.models import Widget
from district.tests.factories import SchoolFactory, UserFactory
from enrollment.models import Student


def test_copy_text_escapes_what_copy_reads_specially():
    assert bulk.copy_text("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"
    assert bulk.copy_value(None) == "\\N"
    assert bulk.copy_value(12) == "12"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legal_first_name", 'Zoë "Z" \\ O\'Neil'),
        ("birth_date", datetime.date(2015, 3, 4)),
        ("hispanic", True),
        ("hispanic", False),
        ("district", 17),
        ("latitude", decimal.Decimal("41.763700")),
    ],
)
def test_json_values_are_those_the_audit_module_stores(field, value):
    encode = bulk.json_encoder(Student._meta.get_field(field))
    assert json.loads(encode(value)) == json.loads(json.dumps(audit._plain(value)))
    assert encode(value) == encode(value)  # remembered answers stay right


def test_copy_converters_write_copy_text():
    fields = {f.name: f for f in Student._meta.concrete_fields}
    assert bulk.copy_converter(fields["hispanic"])(True) == "t"
    assert bulk.copy_converter(fields["birth_date"])(datetime.date(2015, 3, 4)) == "2015-03-04"
    assert bulk.copy_converter(fields["legal_first_name"])("Ana\tMaria") == "Ana\\tMaria"
    assert bulk.copy_converter(fields["preferred_name"])(None) == "\\N"


@pytest.mark.django_db
@pytest.mark.parametrize("names", [["Plain", "Tab\there", "Line\nbreak", "Back\\slash"]])
def test_rows_without_instances_are_written_and_audited(names):
    school = SchoolFactory()
    actor = UserFactory()
    rows = [(school.pk, name, i) for i, name in enumerate(names)]
    # (Queries captured: the debugging cursor, which DEBUG pages use, must serve too.)
    with context.acting(via="import"), CaptureQueriesContext(connection) as queries:
        ids = bulk.insert_rows_audited(
            actor=actor,
            model=Widget,
            columns=["school_id", "name", "count"],
            rows=rows,
            constants={"meal_status": ""},
            describe=lambda row: row[1],
            district_id=school.district_id,
        )
    assert len(queries) <= 4  # (ids, rows, content type, audit rows) however many rows
    widgets = list(Widget.objects.filter(pk__in=ids).order_by("pk"))
    assert [(w.name, w.count, w.version) for w in widgets] == [(n, i, 1) for i, n in enumerate(names)]
    for widget in widgets:
        entry = AuditEntry.objects.get(content_type__model="widget", object_id=str(widget.pk))
        assert entry.changes == audit.diff({}, audit.snapshot(widget))
        assert (entry.change, entry.actor, entry.object_repr, entry.source, entry.district_key) == (
            "create",
            actor,
            widget.name,
            "import",
            school.district_id,
        )
    assert (
        bulk.insert_rows_audited(
            actor=actor, model=Widget, columns=["name"], rows=[], constants={}, describe=str, district_id=None
        )
        == []
    )
