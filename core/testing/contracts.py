"""Contract tests every registered model inherits.

A model's test class names the model, how to make a record at a school, and
the form data for a new record; the contract then checks its pages, API and
filters the same way for every model:

    class TestSchoolPages(PagesContract):
        model = School
        make = staticmethod(lambda world, school: SchoolFactory(district=school.district))
        def new_data(self, world): return {...}

Checked: anonymous visitors are sent to sign in (pages) or refused (API);
signed-in users without the permission get 403; records of another district
(and, for school-scoped records, another school) are 404 and absent from
lists and exports; in-scope reads and writes work and are audited; bad input
gets field-level errors and writes nothing; an import with random bad rows
writes nothing and reports exactly those rows (``badinput``); a stale version
is refused; sensitive fields are hidden from roles without their data class;
a list costs the same number of queries for 3 rows as for 30.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io

from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEntry, Disclosure
from core.registry import pages as registry

from . import badinput


def form_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def form_data_from(instance, fields) -> dict:
    data = {}
    for name in fields:
        f = instance._meta.get_field(name)
        if f.many_to_many:
            data[name] = [o.pk for o in getattr(instance, name).all()]
        elif f.is_relation:
            data[name] = getattr(instance, f.attname) or ""
        else:
            value = form_value(getattr(instance, name))
            if isinstance(f, models.BooleanField) and not value:
                continue
            data[name] = value
    return data


APPLIES = {
    "scoped": lambda c: bool(c.scoped_reader),
    "adds": lambda c: not c.read_only and c.can_add and "add" in c().pages.actions,
    "edits": lambda c: not c.read_only and c.versioned and "edit" in c().pages.actions,
    "sensitive": lambda c: bool(getattr(c.model, "sensitive_fields", {})),
    "student_level": lambda c: bool(getattr(c.model, "student_level", False)),
    "api_adds": lambda c: not c.read_only and c.api_write and c.can_add,
    "api_edits": lambda c: not c.read_only and c.api_write and c.versioned,
    "imports": lambda c: not c.read_only and "import" in c().pages.actions,
}


def applies_when(condition: str):
    """Marks a contract test that applies only to some models (others do not collect it)."""

    def mark(fn):
        fn.contract_condition = condition
        return fn

    return mark


def contract_applies(cls, fn) -> bool:
    condition = getattr(fn, "contract_condition", None)
    return condition is None or APPLIES[condition](cls)


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


class ModelContract:
    """What a model's test class supplies; shared by the page and API contracts."""

    model: type[models.Model]
    # Personas (names of attributes of the ``world`` fixture).
    writer = "district_admin"  # may add, change and delete in-scope records
    reader = "coo"  # may read; not write, unless it is the writer too
    denied = "stranger"  # signed in, no permission at all
    count_reader = None  # who lists rows for the query-count check (default: writer)
    # For school-scoped records: a persona limited to Lincoln, who must not see Washington's.
    scoped_reader: str | None = None
    # A text field the edit tests change, and a bad value with the field it is reported on.
    edit_field = "name"
    bad_field: str | None = None
    bad_value = ""
    read_only = False

    @staticmethod
    def make(world, school):  # pragma: no cover - always overridden
        raise NotImplementedError

    def make_many(self, world, school, n):
        return [self.make(world, school) for _ in range(n)]

    def new_data(self, world) -> dict:  # pragma: no cover - overridden unless read_only
        raise NotImplementedError

    can_add = True  # whether ``writer`` may add records through pages and API
    versioned = True  # whether records carry a version for optimistic concurrency
    api_write = True

    def edited_value(self, obj):
        return f"{getattr(obj, self.edit_field)} (changed)"[:20]

    def in_scope(self, world):
        return self.make(world, world.lincoln)

    def out_of_scope(self, world):
        return self.make(world, world.other_school)

    @property
    def pages(self):
        return registry.for_model(self.model)

    def user(self, world, name):
        return getattr(world, name)


class PagesContract(ModelContract):
    def url(self, action, *args):
        return reverse(self.pages.url_name(action), args=args)

    def test_anonymous_is_sent_to_sign_in(self, world, client):
        obj = self.in_scope(world)
        for action, args in (("list", ()), ("detail", (obj.pk,))):
            response = client.get(self.url(action, *args))
            assert response.status_code == 302
            assert reverse("login") in response["Location"]
        if not self.read_only and "add" in self.pages.actions:
            data = self.new_data(world)
            before = self.model.objects.count()
            response = client.post(self.url("add"), data)
            assert response.status_code == 302
            assert self.model.objects.count() == before

    def test_user_without_permission_is_refused(self, world, login):
        obj = self.in_scope(world)
        c = login(self.user(world, self.denied))
        assert c.get(self.url("list")).status_code == 403
        assert c.get(self.url("detail", obj.pk)).status_code == 403
        if "export" in self.pages.actions:
            assert c.get(self.url("list") + "?export=csv").status_code == 403
        if not self.read_only and "add" in self.pages.actions:
            data = self.new_data(world)
            before = self.model.objects.count()
            assert c.post(self.url("add"), data).status_code == 403
            assert self.model.objects.count() == before

    def test_reader_sees_in_scope_but_cannot_write(self, world, login):
        obj = self.in_scope(world)
        c = login(self.user(world, self.reader))
        assert c.get(self.url("list")).status_code == 200
        assert c.get(self.url("detail", obj.pk)).status_code == 200
        if not self.read_only and "edit" in self.pages.actions and self.reader != self.writer:
            assert c.get(self.url("edit", obj.pk)).status_code == 403
            assert c.post(self.url("add"), self.new_data(world)).status_code == 403

    def test_other_district_is_invisible(self, world, login):
        mine, theirs = self.in_scope(world), self.out_of_scope(world)
        c = login(self.user(world, self.writer))
        assert c.get(self.url("detail", theirs.pk)).status_code == 404
        if "edit" in self.pages.actions:
            assert c.get(self.url("edit", theirs.pk)).status_code == 404
            assert c.post(self.url("edit", theirs.pk), {}).status_code == 404
        listed = c.get(self.url("list"))
        ids = {row["obj"].pk for row in listed.context["rows"]}
        assert mine.pk in ids and theirs.pk not in ids
        if "export" in self.pages.actions:
            export = b"".join(c.get(self.url("list") + "?export=csv").streaming_content).decode()
            rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))[1:]
            visible = self.model.objects.restrict(self.user(world, self.writer))
            assert len(rows) == visible.count() < self.model.objects.count()

    @applies_when("scoped")
    def test_scoped_reader_sees_only_own_schools(self, world, login):
        mine, other_school = self.make(world, world.lincoln), self.make(world, world.washington)
        c = login(self.user(world, self.scoped_reader))
        assert c.get(self.url("detail", mine.pk)).status_code == 200
        assert c.get(self.url("detail", other_school.pk)).status_code == 404
        ids = {row["obj"].pk for row in c.get(self.url("list")).context["rows"]}
        assert mine.pk in ids and other_school.pk not in ids

    @applies_when("adds")
    def test_add_writes_record_and_audit(self, world, login):
        c = login(self.user(world, self.writer))
        data = self.new_data(world)
        before = set(self.model.objects.values_list("pk", flat=True))
        response = c.post(self.url("add"), data)
        assert response.status_code in (200, 302), (
            getattr(response, "context", {}) and response.context.get("form").errors
        )
        created = self.model.objects.exclude(pk__in=before)
        assert created.count() == 1
        assert AuditEntry.objects.filter(object_id=str(created.get().pk), change="create").count() == 1

    @applies_when("adds")
    def test_bad_input_gets_field_errors_and_writes_nothing(self, world, login):
        c = login(self.user(world, self.writer))
        data = {**self.new_data(world), self.bad_field: self.bad_value}
        before = self.model.objects.count()
        response = c.post(self.url("add"), data)
        assert response.status_code == 400
        assert self.bad_field in response.context["form"].errors
        assert self.model.objects.count() == before

    @applies_when("edits")
    def test_edit_is_audited_and_stale_version_refused(self, world, login):
        obj = self.in_scope(world)
        c = login(self.user(world, self.writer))
        data = form_data_from(obj, list(self.pages.fields))
        new_value = form_value(self.edited_value(obj))
        data[self.edit_field] = new_value
        data["version"] = obj.version
        response = c.post(self.url("edit", obj.pk), data)
        assert response.status_code == 302, response.context["form"].errors if response.context else response
        obj.refresh_from_db()
        assert obj.version == 2
        entry = AuditEntry.objects.get(object_id=str(obj.pk), change="update")
        assert self.edit_field in entry.changes
        data["version"] = 1  # what the other editor read
        response = c.post(self.url("edit", obj.pk), data)
        assert response.status_code == 400
        assert "changed this record" in str(response.context["form"].non_field_errors())
        obj.refresh_from_db()
        assert obj.version == 2

    @applies_when("imports")
    def test_import_with_bad_rows_writes_nothing_and_reports_exactly_them(self, world, login):
        badinput.check_import(self, world, login)

    def test_list_query_count_is_flat(self, world, login):
        c = login(self.user(world, self.count_reader or self.writer))
        school = world.lincoln
        self.make_many(world, school, 3)
        c.get(self.url("list"))  # warm caches (content types, sessions)
        few = count_queries(lambda: c.get(self.url("list")))
        self.make_many(world, school, 27)
        many = count_queries(lambda: c.get(self.url("list")))
        assert few == many, f"{few} queries for 3 rows, {many} for 30"

    @applies_when("sensitive")
    def test_sensitive_fields_hidden_without_their_class(self, world, login):
        sensitive = self.model.sensitive_fields
        obj = self.in_scope(world)
        c = login(self.user(world, self.reader))
        for name in sensitive:
            secret = getattr(obj, name)
            assert secret, "the factory must fill sensitive fields"
            detail = c.get(self.url("detail", obj.pk)).content.decode()
            listing = c.get(self.url("list")).content.decode()
            export = b"".join(c.get(self.url("list") + "?export=csv").streaming_content).decode()
            for text in (detail, listing, export):
                assert secret not in text
            filtered = c.get(self.url("list"), {name: "no-such-value"})
            assert obj.pk in {row["obj"].pk for row in filtered.context["rows"]}, "a hidden field must not filter"

    @applies_when("student_level")
    def test_student_level_export_is_disclosed(self, world, login):
        self.in_scope(world)
        c = login(self.user(world, self.reader))
        response = c.get(self.url("list") + "?export=xlsx")
        assert response.status_code == 200
        disclosure = Disclosure.objects.get()
        assert disclosure.student_count >= 1 and disclosure.channel == "export"


class ApiContract(ModelContract):
    def api_url(self, obj=None):
        label = f"{self.model._meta.app_label}-api:{self.model._meta.model_name}"
        return reverse(f"{label}-detail", args=[obj.pk]) if obj is not None else reverse(f"{label}-list")

    def api_data(self, world) -> dict:
        return {k: v for k, v in self.new_data(world).items() if k != "version"}

    def test_api_anonymous_refused(self, world, api):
        obj = self.in_scope(world)
        assert api().get(self.api_url()).status_code in (401, 403)
        assert api().get(self.api_url(obj)).status_code in (401, 403)

    def test_api_without_permission_refused(self, world, api):
        obj = self.in_scope(world)
        c = api(self.user(world, self.denied))
        assert c.get(self.api_url()).status_code == 403
        assert c.get(self.api_url(obj)).status_code == 403

    def test_api_scope(self, world, api):
        mine, theirs = self.in_scope(world), self.out_of_scope(world)
        c = api(self.user(world, self.writer))
        ids = {row["id"] for row in c.get(self.api_url()).json()["results"]}
        assert mine.pk in ids and theirs.pk not in ids
        assert c.get(self.api_url(theirs)).status_code == 404
        assert c.get(self.api_url(mine)).status_code == 200
        if self.scoped_reader:
            other_school = self.make(world, world.washington)
            s = api(self.user(world, self.scoped_reader))
            assert s.get(self.api_url(other_school)).status_code == 404
            assert other_school.pk not in {row["id"] for row in s.get(self.api_url()).json()["results"]}

    @applies_when("api_adds")
    def test_api_create_and_bad_input(self, world, api):
        c = api(self.user(world, self.writer))
        data = self.api_data(world)
        before = self.model.objects.count()
        bad = c.post(self.api_url(), {**data, self.bad_field: self.bad_value}, format="json")
        assert bad.status_code == 400, bad.content
        assert self.bad_field in bad.json()
        assert self.model.objects.count() == before
        good = c.post(self.api_url(), data, format="json")
        assert good.status_code == 201, good.content
        assert AuditEntry.objects.filter(object_id=str(good.json()["id"]), change="create", source="api").exists()
        if self.reader == self.writer:
            return
        reader = api(self.user(world, self.reader))
        assert reader.post(self.api_url(), self.api_data(world), format="json").status_code == 403

    @applies_when("api_edits")
    def test_api_stale_version_conflicts(self, world, api):
        obj = self.in_scope(world)
        c = api(self.user(world, self.writer))
        edit = {self.edit_field: form_value(self.edited_value(obj))}
        ok = c.patch(self.api_url(obj), {**edit, "version": obj.version}, format="json")
        assert ok.status_code == 200, ok.content
        assert ok.json()["version"] == obj.version + 1
        stale_body = c.patch(self.api_url(obj), {**edit, "version": obj.version}, format="json")
        assert stale_body.status_code == 409
        stale_header = c.patch(self.api_url(obj), edit, format="json", HTTP_IF_MATCH=f'"{obj.version}"')
        assert stale_header.status_code == 412

    def test_api_list_query_count_is_flat(self, world, api):
        c = api(self.user(world, self.count_reader or self.writer))
        self.make_many(world, world.lincoln, 3)
        c.get(self.api_url())
        few = count_queries(lambda: c.get(self.api_url()))
        self.make_many(world, world.lincoln, 27)
        many = count_queries(lambda: c.get(self.api_url()))
        assert few == many, f"{few} queries for 3 rows, {many} for 30"

    @applies_when("sensitive")
    def test_api_hides_sensitive_fields(self, world, api):
        sensitive = self.model.sensitive_fields
        obj = self.in_scope(world)
        body = api(self.user(world, self.reader)).get(self.api_url(obj)).json()
        for name in sensitive:
            assert name not in body


class FilterSetContract(ModelContract):
    def test_filterset_limits_related_choices_to_scope(self, world, rf):
        filterset_class = self.pages.filterset
        request = rf.get("/")
        request.user = self.user(world, self.writer)
        fs = filterset_class(data={}, queryset=self.model.objects.all(), request=request)
        for flt in fs.filters.values():
            queryset = getattr(flt, "queryset", None)
            if queryset is None or callable(queryset) or not hasattr(queryset, "restrict"):
                continue
            allowed = set(queryset.model.objects.restrict(request.user).values_list("pk", flat=True))
            assert set(flt.queryset.values_list("pk", flat=True)) <= allowed

    @applies_when("sensitive")
    def test_filterset_drops_hidden_fields(self, world, rf):
        sensitive = self.model.sensitive_fields
        request = rf.get("/")
        request.user = self.user(world, self.reader)
        fs = self.pages.filterset(data={}, queryset=self.model.objects.all(), request=request)
        assert not {f.field_name for f in fs.filters.values()} & set(sensitive)
