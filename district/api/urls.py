from rest_framework.routers import DefaultRouter

from . import views

app_name = "district-api"
router = DefaultRouter()
router.register("districts", views.DistrictViewSet, basename="district")
router.register("schools", views.SchoolViewSet, basename="school")
router.register("school-years", views.SchoolYearViewSet, basename="schoolyear")
router.register("school-days", views.SchoolDayViewSet, basename="schoolday")
router.register("school-profiles", views.SchoolProfileViewSet, basename="schoolprofile")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("role-assignments", views.RoleAssignmentViewSet, basename="roleassignment")
urlpatterns = router.urls
