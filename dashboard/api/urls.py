from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

app_name = "dashboard-api"
router = DefaultRouter()
router.register("snapshots", views.KpiSnapshotViewSet, basename="kpisnapshot")
router.register("targets", views.KpiTargetViewSet, basename="kpitarget")
router.register("refreshes", views.KpiRefreshViewSet, basename="kpirefresh")
urlpatterns = [
    path("kpis/", views.KpiDefinitionsView.as_view(), name="kpi-list"),
    path("kpis/<slug:key>/", views.KpiDefinitionView.as_view(), name="kpi-detail"),
    path("values/", views.CurrentValuesView.as_view(), name="values"),
    path("packet/", views.BoardPacketView.as_view(), name="packet"),
    *router.urls,
]
