from rest_framework.routers import DefaultRouter

from . import views

app_name = "core-api"
router = DefaultRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("api-tokens", views.ApiTokenViewSet, basename="apitoken")
router.register("audit-entries", views.AuditEntryViewSet, basename="auditentry")
router.register("disclosures", views.DisclosureViewSet, basename="disclosure")
urlpatterns = router.urls
