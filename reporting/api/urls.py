from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

app_name = "reporting-api"
router = DefaultRouter()
router.register("runs", views.ReportRunViewSet, basename="reportrun")
router.register("schedules", views.ReportScheduleViewSet, basename="reportschedule")
router.register("collections", views.CollectionViewSet, basename="collection")
urlpatterns = [path("reports/", views.ReportCatalogueView.as_view(), name="catalogue"), *router.urls]
