from rest_framework.routers import DefaultRouter

from core.api.viewsets import RestrictedModelSerializer, RestrictedModelViewSet

from .models import Widget
from .pages import WidgetFilterSet


class WidgetSerializer(RestrictedModelSerializer):
    class Meta:
        model = Widget
        fields = ["id", "school", "name", "meal_status", "count", "version"]


class WidgetViewSet(RestrictedModelViewSet):
    queryset = Widget.objects.all()
    serializer_class = WidgetSerializer
    filterset_class = WidgetFilterSet
    select_related = ("school",)


app_name = "sample-api"
router = DefaultRouter()
router.register("widgets", WidgetViewSet, basename="widget")
urlpatterns = router.urls
