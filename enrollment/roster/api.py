"""Roster upserts in the API: many students, or many enrollments, in one all-or-nothing request.

``POST /api/enrollment/roster/students/upsert/`` takes a list of students, each
keyed by ``state_id``, or by its external ids (``external_ids``, or
``source`` with ``external_id``) when the state id is missing;
``POST /api/enrollment/roster/enrollments/upsert/`` takes a list of
enrollments naming their student the same way, the school by state school id
and the school year by its ending year. Fields left out are left as they are.

The rows go through the same planner as the file imports: the models' rules,
the requesting account's scope, audit rows, nothing written if any row is
bad. A 400 lists every problem as ``{"index", "field", "message"}``. Tokens
need ``enrollment:write``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.parsers import JSONParser
from core.choices import Source

from .. import choices as c
from ..models import Enrollment, Student
from .plan import RosterPlan
from .rows import EnrollmentRow, RosterBatch, RosterProblem, StudentRow
from .services import RosterRejected, roster_import, roster_preview

MAX_ROWS = 50_000


def _text(**kwargs):
    return serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=True, **kwargs)


class ExternalIdInput(serializers.Serializer):
    source = serializers.ChoiceField(choices=c.ExternalSource.choices)
    external_id = serializers.CharField(max_length=64)


class UpsertItem(serializers.Serializer):
    """Shape only (text, true or false, lists); the rules are the models'."""

    def validate(self, data):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: _("Unknown field.") for name in unknown})
        return data


class StudentUpsertInput(UpsertItem):
    state_id = _text(help_text="The state student id (SASID, ten digits); the key when given.")
    external_ids = ExternalIdInput(
        many=True, required=False, help_text="Ids in other systems; the key without a state id."
    )
    source = serializers.ChoiceField(
        choices=c.ExternalSource.choices, required=False, help_text="With external_id: one external id."
    )
    external_id = serializers.CharField(required=False, max_length=64)
    district = _text(help_text="State LEA id of a new student's district (when the account spans several).")
    local_id = _text()
    legal_first_name = _text()
    legal_middle_name = _text()
    legal_last_name = _text()
    preferred_name = _text()
    birth_date = _text(help_text="YYYY-MM-DD")
    sex = _text(help_text="M, F or X")
    hispanic = serializers.BooleanField(required=False)
    races = _text(help_text="Federal race codes separated by spaces: AM7 AS7 BL7 PI7 WH7")
    grade_level = _text(help_text="EDFacts grade code: PK KG 01-12 13 UG AE")
    home_language = _text()
    directory_opt_out = serializers.BooleanField(required=False)
    street = _text()
    resident_town = _text()
    latitude = _text()
    longitude = _text()

    def validate(self, data):
        data = super().validate(data)
        if ("source" in data) != ("external_id" in data):
            raise serializers.ValidationError({"external_id": _("Give source and external_id together.")})
        if not data.get("state_id") and not data.get("external_ids") and not data.get("external_id"):
            raise serializers.ValidationError({"state_id": _("Name the student by state_id, or by external ids.")})
        return data


class EnrollmentUpsertInput(UpsertItem):
    state_id = _text(help_text="The student's state id; or give source and external_id.")
    source = serializers.ChoiceField(choices=c.ExternalSource.choices, required=False)
    external_id = serializers.CharField(required=False, max_length=64)
    school = serializers.CharField(help_text="State school id.")
    school_year = serializers.IntegerField(min_value=1990, max_value=2100, help_text="Ending year: 2027 for 2026-2027.")
    grade_level = _text()
    entry_date = _text(help_text="YYYY-MM-DD")
    entry_code = _text(help_text="E1 when left out for a new enrollment.")
    exit_date = _text(help_text="The first day no longer enrolled.")
    exit_code = _text()
    is_primary = serializers.BooleanField(required=False)

    def validate(self, data):
        data = super().validate(data)
        if not data.get("state_id") and not (data.get("source") and data.get("external_id")):
            raise serializers.ValidationError(
                {"state_id": _("Name the student by state_id, or by source and external_id.")}
            )
        return data


STUDENT_KEYS = {"state_id", "external_ids", "source", "external_id", "district"}
ENROLLMENT_KEYS = {"state_id", "source", "external_id", "school", "school_year"}

ResultSchema = inline_serializer(
    "RosterUpsertResult",
    {
        "counts": serializers.DictField(child=serializers.DictField(child=serializers.IntegerField())),
        "results": serializers.ListField(child=serializers.DictField()),
        "findings": serializers.ListField(child=serializers.DictField()),
    },
)
ErrorSchema = inline_serializer(
    "RosterUpsertErrors",
    {
        "errors": serializers.ListField(
            child=serializers.DictField(), help_text="{index, field, message} for every problem."
        ),
        "findings": serializers.ListField(child=serializers.DictField()),
    },
)


def _flatten(index: int, errors, prefix: str = "") -> list[RosterProblem]:
    problems = []
    if isinstance(errors, dict):
        for name, value in errors.items():
            field = "" if name == "non_field_errors" else f"{prefix}{name}"
            problems.extend(_flatten(index, value, f"{field}." if field else prefix))
    elif isinstance(errors, list):
        for position, value in enumerate(errors):
            if isinstance(value, (dict, list)):
                problems.extend(_flatten(index, value, f"{prefix}{position}."))
            else:
                problems.append(RosterProblem(line=index, column=prefix.rstrip("."), message=str(value)))
    else:
        problems.append(RosterProblem(line=index, column=prefix.rstrip("."), message=str(errors)))
    return problems


class RosterUpsertView(APIView):
    """Shared by the two upserts: check the shape of every item, then plan and write the batch."""

    input_class: type[serializers.Serializer]
    kind = ""
    parser_classes = [JSONParser]  # rows are JSON; the schema advertises no other body

    def handle_exception(self, exc):
        """A body that cannot be read is refused as a whole, in the shape of a refused batch (``ErrorSchema``)."""
        if isinstance(exc, (ParseError, UnsupportedMediaType)):
            response = self.refused(exc.detail)
            response.status_code = exc.status_code
            return response
        return super().handle_exception(exc)

    def to_row(self, index: int, data: dict):
        raise NotImplementedError

    def post(self, request):
        items = request.data.get(self.kind) if isinstance(request.data, dict) else request.data
        if not isinstance(items, list) or not items:
            return self.refused(_("Send a non-empty list of %(kind)s.") % {"kind": self.kind})
        if len(items) > MAX_ROWS:
            return self.refused(_("At most %(n)s rows per request.") % {"n": MAX_ROWS})
        batch = RosterBatch(source_label=f"api:{self.kind}")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                batch.problems.append(RosterProblem(line=index, column="", message=_("Each row is an object.")))
                continue
            serializer = self.input_class(data=item, context={"request": request})
            if not serializer.is_valid():
                batch.problems.extend(_flatten(index, serializer.errors))
                continue
            row = self.to_row(index, serializer.validated_data)
            getattr(batch, self.kind).append(row)
        try:
            if batch.problems:
                raise RosterRejected(roster_preview(actor=request.user, batch=batch))
            plan = roster_import(actor=request.user, batch=batch, via=Source.API)
        except RosterRejected as exc:
            return Response(self.errors_body(exc.plan), status=status.HTTP_400_BAD_REQUEST)
        return Response(self.result_body(plan))

    @staticmethod
    def refused(message) -> Response:
        """A request refused as a whole: the same shape as a batch's problems (``ErrorSchema``)."""
        body = {"errors": [{"index": None, "field": "", "message": str(message)}], "findings": []}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)

    @staticmethod
    def errors_body(plan: RosterPlan) -> dict:
        return {
            "errors": [{"index": p.line, "field": p.column, "message": str(p.message)} for p in plan.sorted_problems()],
            "findings": [_finding(f) for f in plan.findings],
        }

    def result_body(self, plan: RosterPlan) -> dict:
        results = plan.student_results if self.kind == "students" else plan.enrollment_results
        return {
            "counts": plan.counts(),
            "results": [
                {"index": index, "id": obj.pk if obj is not None else None, "status": outcome}
                for index, (obj, outcome) in enumerate(results)
            ],
            "findings": [_finding(f) for f in plan.findings],
        }


def _finding(f) -> dict:
    return {"field": f.column, "message": str(f.message), "count": f.count, "indexes": f.lines[:100]}


class StudentUpsertView(RosterUpsertView):
    """Create or update students by state id or external id; all or nothing."""

    queryset = Student.objects.none()  # the token's scopes and the policy are checked on Student
    input_class = StudentUpsertInput
    kind = "students"

    def to_row(self, index, data):
        external_ids = [(e["source"], e["external_id"]) for e in data.get("external_ids", [])]
        if data.get("source"):
            external_ids.append((data["source"], data["external_id"]))
        values = {name: value for name, value in data.items() if name not in STUDENT_KEYS}
        if data.get("state_id"):
            values["state_id"] = data["state_id"]
        for name in (
            "legal_first_name",
            "legal_middle_name",
            "legal_last_name",
            "preferred_name",
            "local_id",
            "home_language",
            "street",
            "resident_town",
            "races",
            "sex",
            "grade_level",
        ):
            if name in values and values[name] is None:
                values[name] = ""
        return StudentRow(
            file="",
            line=index,
            values=values,
            external_ids=external_ids,
            district_key=data.get("district") or "",
        )

    @extend_schema(
        request=StudentUpsertInput(many=True), responses={200: ResultSchema, 400: ErrorSchema, 415: ErrorSchema}
    )
    def post(self, request):
        return super().post(request)


class EnrollmentUpsertView(RosterUpsertView):
    """Create or update enrollments, naming students by state id or external id; all or nothing."""

    queryset = Enrollment.objects.none()  # the token's scopes and the policy are checked on Enrollment
    input_class = EnrollmentUpsertInput
    kind = "enrollments"

    def to_row(self, index, data):
        values = {name: value for name, value in data.items() if name not in ENROLLMENT_KEYS}
        for name in ("grade_level", "entry_code", "exit_code"):
            if name in values:
                values[name] = (values[name] or "").upper()
        return EnrollmentRow(
            file="",
            line=index,
            values=values,
            state_id=data.get("state_id") or "",
            source=data.get("source", ""),
            external_id=data.get("external_id", ""),
            school_key=data["school"],
            year_end=data["school_year"],
        )

    @extend_schema(
        request=EnrollmentUpsertInput(many=True), responses={200: ResultSchema, 400: ErrorSchema, 415: ErrorSchema}
    )
    def post(self, request):
        return super().post(request)
