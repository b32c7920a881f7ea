"""School-choice workflow actions in the API: submit and change applications, run the lottery, answer offers.

Each action takes an input serializer, fetches its record through
``restrict()`` (out of scope is a 404), and calls the same service as the
pages; the services' ``ValidationError`` and ``PermissionDenied`` become 400
and 403 in ``core.api.exceptions``. The token needs ``enrollment:write``.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.viewsets import lookup_id
from core.choices import Action

from .. import choice
from .. import choices as c
from ..models import Application, ApplicationWindow, ChoiceProgram, Offer, Student, StudentExternalId
from .serializers import ApplicantPrioritySerializer, ApplicationSerializer, LotteryRunSerializer, OfferSerializer


class ScopedInput(serializers.Serializer):
    """An input serializer whose related-record fields reach only what the requesting user may see."""

    def get_fields(self):
        fields = super().get_fields()
        user = self.context["request"].user
        for f in fields.values():
            queryset = getattr(f, "queryset", None)
            if queryset is not None:
                f.queryset = queryset.model.objects.restrict(user)
        return fields


class RankedCodes(serializers.Serializer):
    program_codes = serializers.ListField(
        child=serializers.CharField(max_length=30), help_text="Program codes, most wanted first (at most 12)."
    )


class ApplicationSubmitInput(ScopedInput, RankedCodes):
    window = serializers.PrimaryKeyRelatedField(queryset=ApplicationWindow.objects.all())
    student = serializers.PrimaryKeyRelatedField(
        queryset=Student.objects.all(),
        required=False,
        help_text="The student's record id; or give state_id, or external_source and external_id.",
    )
    state_id = serializers.CharField(required=False, max_length=10)
    external_source = serializers.ChoiceField(choices=c.ExternalSource.choices, required=False)
    external_id = serializers.CharField(required=False, max_length=64)
    submitted_at = serializers.DateTimeField(
        required=False, help_text="When the family submitted, if before now; it must fall within the window."
    )

    def validate(self, data):
        user = self.context["request"].user
        given = [name for name in ("student", "state_id", "external_id") if data.get(name)]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"student": _("Name the student one way: student, state_id, or external_source with external_id.")}
            )
        if "state_id" in data:
            window = data.get("window")  # (state ids are unique within a district: the window's)
            student = (
                Student.objects.restrict(user)
                .filter(state_id=data.pop("state_id"), district_id=getattr(window, "district_id", None))
                .first()
            )
            if student is None:
                raise serializers.ValidationError({"state_id": _("No student you may see has that state id.")})
            data["student"] = student
        elif "external_id" in data:
            if not data.get("external_source"):
                raise serializers.ValidationError({"external_source": _("Say which system the id comes from.")})
            match = (
                StudentExternalId.objects.restrict(user)
                .filter(
                    source=data.pop("external_source"),
                    external_id=data.pop("external_id"),
                    district_id=getattr(data.get("window"), "district_id", None),
                )
                .select_related("student")
                .first()
            )
            if match is None:
                raise serializers.ValidationError({"external_id": _("No student you may see has that id there.")})
            data["student"] = match.student
        return data


class LotteryRunInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=c.RunKind.choices, default=c.RunKind.DRY)
    seed = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text="Empty: drawn. Digits are read as a number."
    )
    tie_breaking = serializers.ChoiceField(choices=["single", "multiple"], default="single")


class PriorityOverrideInput(serializers.Serializer):
    program_code = serializers.CharField(max_length=30)
    kind = serializers.ChoiceField(choices=c.PriorityKind.choices)
    granted = serializers.BooleanField()
    reason = serializers.CharField(max_length=300, allow_blank=True)


def _application_body(application: Application, request, codes: list[str]) -> dict:
    return {**ApplicationSerializer(application, context={"request": request}).data, "program_codes": codes}


class ChoiceViewSet(viewsets.GenericViewSet):
    """Actions only: the records themselves are listed and read at the enrollment API's own endpoints."""

    # The permission class checks the user may see this kind of record at all; each service checks the rest.
    policy_action = Action.VIEW

    def get_queryset(self):
        return self.queryset.model.objects.restrict(self.request.user)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=lookup_id(self.kwargs["pk"]))

    def read_input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ChoiceApplicationViewSet(ChoiceViewSet):
    queryset = Application.objects.all()
    serializer_class = ApplicationSubmitInput

    @extend_schema(request=ApplicationSubmitInput, responses={201: ApplicationSerializer})
    def create(self, request):
        """Submit an application: the student and up to 12 program codes, most wanted first."""
        data = self.read_input(ApplicationSubmitInput)
        application = choice.application_submit(
            actor=request.user,
            window=data["window"],
            student=data["student"],
            program_codes=data["program_codes"],
            submitted_at=data.get("submitted_at"),
        )
        return Response(_application_body(application, request, data["program_codes"]), status=status.HTTP_201_CREATED)

    @extend_schema(request=RankedCodes, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"], serializer_class=RankedCodes)
    def choices(self, request, pk=None):
        """Replace the ranked choices, before the window's deadline."""
        data = self.read_input(RankedCodes)
        application = choice.application_update(
            actor=request.user, application=self.get_object(), program_codes=data["program_codes"]
        )
        return Response(_application_body(application, request, data["program_codes"]))

    @extend_schema(request=None, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def withdraw(self, request, pk=None):
        """Withdraw the application, before the window's deadline."""
        application = choice.application_withdraw(actor=request.user, application=self.get_object())
        codes = list(application.choices.order_by("rank").values_list("program__code", flat=True))
        return Response(_application_body(application, request, codes))

    @extend_schema(request=PriorityOverrideInput, responses={200: ApplicantPrioritySerializer})
    @action(detail=True, methods=["post"], serializer_class=PriorityOverrideInput)
    def priority(self, request, pk=None):
        """Grant or deny a priority at one of the application's programs, with the reason."""
        application = self.get_object()
        data = self.read_input(PriorityOverrideInput)
        program = (
            ChoiceProgram.objects.restrict(request.user)
            .filter(window_id=application.window_id, code=data["program_code"])
            .first()
        )
        if program is None:
            raise serializers.ValidationError({"program_code": _("No program with that code in this window.")})
        row = choice.applicant_priority_override(
            actor=request.user,
            application=application,
            program=program,
            kind=data["kind"],
            granted=data["granted"],
            reason=data["reason"],
        )
        return Response(ApplicantPrioritySerializer(row, context={"request": request}).data)


class ChoiceWindowViewSet(ChoiceViewSet):
    queryset = ApplicationWindow.objects.all()
    serializer_class = LotteryRunInput

    @extend_schema(request=LotteryRunInput, responses={201: LotteryRunSerializer})
    @action(detail=True, methods=["post"], url_path="run-lottery")
    def run_lottery(self, request, pk=None):
        """Run the lottery: dry (summary only) or final (offers and waitlists; once, after the deadline)."""
        data = self.read_input(LotteryRunInput)
        run = choice.lottery_run(
            actor=request.user,
            window=self.get_object(),
            kind=data["kind"],
            seed=data.get("seed") or None,
            tie_breaking=data["tie_breaking"],
        )
        return Response(LotteryRunSerializer(run, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"], url_path="compute-priorities", serializer_class=serializers.Serializer)
    def compute_priorities(self, request, pk=None):
        """Compute sibling and resident priorities from the records; staff overrides are kept."""
        return Response(choice.applicant_priorities_compute(actor=request.user, window=self.get_object()))


class ChoiceOfferViewSet(ChoiceViewSet):
    queryset = Offer.objects.all()
    serializer_class = serializers.Serializer

    @extend_schema(request=None, responses={200: OfferSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept a pending offer by its answer date: enrolls the student for the placement year."""
        offer = choice.offer_accept(actor=request.user, offer=self.get_object())
        return Response(OfferSerializer(offer, context={"request": request}).data)

    @extend_schema(request=None, responses={200: OfferSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline a pending offer: its seat goes to the program's waitlist."""
        offer = choice.offer_decline(actor=request.user, offer=self.get_object())
        return Response(OfferSerializer(offer, context={"request": request}).data)
