from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.viewsets import RestrictedModelViewSet
from core.choices import Action
from core.models import Disclosure

from .. import registry, services
from ..filtersets import CollectionFilterSet, ReportRunFilterSet, ReportScheduleFilterSet
from ..models import Collection, ReportArtifact, ReportRun, ReportSchedule
from .serializers import CollectionSerializer, ReportRequestSerializer, ReportRunSerializer, ReportScheduleSerializer


class ReportRunViewSet(RestrictedModelViewSet):
    """Runs: list and read their status; POST to request a run; download a run's files."""

    queryset = ReportRun.objects.all()
    serializer_class = ReportRunSerializer
    filterset_class = ReportRunFilterSet
    http_method_names = ["get", "post", "head", "options"]
    prefetch_related = ("artifacts", "findings")

    @extend_schema(request=ReportRequestSerializer, responses={202: ReportRunSerializer, 200: ReportRunSerializer})
    def create(self, request, *args, **kwargs):
        data = ReportRequestSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        run, reused = services.report_request(
            actor=request.user,
            report_key=values.pop("report"),
            district=values.pop("district"),
            raw_params=values,
        )
        run = self.get_queryset().get(pk=run.pk)
        body = ReportRunSerializer(run, context={"request": request}).data
        return Response(
            body,
            status=status.HTTP_200_OK if reused else status.HTTP_202_ACCEPTED,
            headers={"Location": f"{request.path}{run.pk}/"},
        )

    @property
    def policy_action(self):
        if getattr(self, "action", None) in ("validate", "certify", "amend"):
            return Action.CHANGE
        return super().policy_action

    def _transition(self, service):
        run = service(actor=self.request.user, run=self.get_object())
        run = self.get_queryset().get(pk=run.pk)
        return Response(ReportRunSerializer(run, context={"request": self.request}).data)

    @extend_schema(request=None, responses=ReportRunSerializer)
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        """Draft to validated; refused (400) while the run has fatal findings."""
        return self._transition(services.report_run_validate)

    @extend_schema(request=None, responses=ReportRunSerializer)
    @action(detail=True, methods=["post"])
    def certify(self, request, pk=None):
        """Validated to certified, by a reporting manager."""
        return self._transition(services.report_run_certify)

    @extend_schema(request=None, responses=ReportRunSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        """Replace a certified run with a new run on today's data; answers with the new run."""
        return self._transition(services.report_run_amend)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path=r"files/(?P<artifact_id>\d+)")
    def download(self, request, pk=None, artifact_id=None):
        run = self.get_object()
        artifact = get_object_or_404(ReportArtifact, pk=artifact_id, run=run)
        content = services.artifact_download(actor=request.user, artifact=artifact, channel=Disclosure.Channel.API)
        response = HttpResponse(content, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{artifact.name}"'
        return response


class ReportSummarySerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    department = serializers.CharField()
    levels = serializers.ListField(child=serializers.CharField())
    formats = serializers.ListField(child=serializers.CharField())
    student_level = serializers.BooleanField()
    certifiable = serializers.BooleanField()


class ReportCatalogueView(APIView):
    """The registered reports and the parameters they take."""

    queryset = ReportRun.objects.all()

    @extend_schema(responses=ReportSummarySerializer(many=True))
    def get(self, request):
        return Response(
            [
                {
                    "key": r.key,
                    "title": r.title,
                    "department": r.department,
                    "levels": list(r.levels),
                    "formats": list(r.formats),
                    "student_level": r.student_level,
                    "certifiable": r.certifiable,
                }
                for r in registry.all_reports()
                if services.may_read(request.user, r)
            ]
        )


class ReportScheduleViewSet(RestrictedModelViewSet):
    queryset = ReportSchedule.objects.all()
    serializer_class = ReportScheduleSerializer
    filterset_class = ReportScheduleFilterSet
    save_service = staticmethod(services.report_schedule_save)


class CollectionViewSet(RestrictedModelViewSet):
    queryset = Collection.objects.all()
    serializer_class = CollectionSerializer
    filterset_class = CollectionFilterSet
