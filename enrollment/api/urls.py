from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views as v

app_name = "enrollment-api"
router = DefaultRouter()
for prefix, viewset in [
    ("students", v.StudentViewSet),
    ("households", v.HouseholdViewSet),
    ("guardians", v.GuardianViewSet),
    ("external-ids", v.StudentExternalIdViewSet),
    ("program-participations", v.ProgramParticipationViewSet),
    ("enrollments", v.EnrollmentViewSet),
    ("capacities", v.SchoolCapacityViewSet),
    ("application-windows", v.ApplicationWindowViewSet),
    ("choice-programs", v.ChoiceProgramViewSet),
    ("seat-categories", v.SeatCategoryViewSet),
    ("applications", v.ApplicationViewSet),
    ("applicant-priorities", v.ApplicantPriorityViewSet),
    ("lottery-runs", v.LotteryRunViewSet),
    ("offers", v.OfferViewSet),
    ("waitlist", v.WaitlistEntryViewSet),
]:
    router.register(prefix, viewset, basename=viewset.queryset.model._meta.model_name)
urlpatterns = [
    path("roster/", include("enrollment.roster.api_urls")),
    path("choice/", include("enrollment.api.choice_urls")),
    *router.urls,
]
