from core.api.viewsets import RestrictedModelViewSet, viewset_for

from .. import filtersets as fs
from .. import models as m
from . import serializers as s


class ReadOnlyRestrictedModelViewSet(RestrictedModelViewSet):
    """Records written only by workflows (runs, offers, waitlists): read through the API."""

    http_method_names = ["get", "head", "options"]


StudentViewSet = viewset_for(m.Student, s.StudentSerializer, fs.StudentFilterSet)
HouseholdViewSet = viewset_for(m.Household, s.HouseholdSerializer, fs.HouseholdFilterSet)
GuardianViewSet = viewset_for(m.Guardian, s.GuardianSerializer, fs.GuardianFilterSet)
StudentExternalIdViewSet = viewset_for(
    m.StudentExternalId, s.StudentExternalIdSerializer, fs.StudentExternalIdFilterSet
)
ProgramParticipationViewSet = viewset_for(
    m.ProgramParticipation, s.ProgramParticipationSerializer, fs.ProgramParticipationFilterSet
)
EnrollmentViewSet = viewset_for(m.Enrollment, s.EnrollmentSerializer, fs.EnrollmentFilterSet)
SchoolCapacityViewSet = viewset_for(m.SchoolCapacity, s.SchoolCapacitySerializer, fs.SchoolCapacityFilterSet)
ApplicationWindowViewSet = viewset_for(
    m.ApplicationWindow, s.ApplicationWindowSerializer, fs.ApplicationWindowFilterSet
)
ChoiceProgramViewSet = viewset_for(m.ChoiceProgram, s.ChoiceProgramSerializer, fs.ChoiceProgramFilterSet)
SeatCategoryViewSet = viewset_for(m.SeatCategory, s.SeatCategorySerializer, fs.SeatCategoryFilterSet)
ApplicationViewSet = viewset_for(
    m.Application, s.ApplicationSerializer, fs.ApplicationFilterSet, base=ReadOnlyRestrictedModelViewSet
)
ApplicantPriorityViewSet = viewset_for(
    m.ApplicantPriority, s.ApplicantPrioritySerializer, fs.ApplicantPriorityFilterSet
)
LotteryRunViewSet = viewset_for(
    m.LotteryRun, s.LotteryRunSerializer, fs.LotteryRunFilterSet, base=ReadOnlyRestrictedModelViewSet
)
OfferViewSet = viewset_for(m.Offer, s.OfferSerializer, fs.OfferFilterSet, base=ReadOnlyRestrictedModelViewSet)
WaitlistEntryViewSet = viewset_for(
    m.WaitlistEntry, s.WaitlistEntrySerializer, fs.WaitlistEntryFilterSet, base=ReadOnlyRestrictedModelViewSet
)
