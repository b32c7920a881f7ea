from rest_framework import serializers

from core.api.viewsets import RestrictedModelSerializer
from district.models import District

from .. import registry
from ..models import Collection, ReportArtifact, ReportFinding, ReportRun, ReportSchedule


class ReportArtifactSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportArtifact
        fields = ["id", "name", "fmt", "size", "sha256", "student_level"]


class ReportFindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportFinding
        fields = ["severity", "code", "record", "field", "message", "record_model", "record_ids", "students"]


class ReportRunSerializer(RestrictedModelSerializer):
    artifacts = ReportArtifactSerializer(many=True, read_only=True)
    findings = ReportFindingSerializer(many=True, read_only=True)

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "district",
            "report_key",
            "title",
            "department",
            "school_year",
            "parameters",
            "totals",
            "status",
            "progress",
            "log",
            "queued_at",
            "started_at",
            "finished_at",
            "fingerprint",
            "error",
            "certification",
            "certified_at",
            "artifacts",
            "findings",
            "version",
        ]
        read_only_fields = fields


class ReportRequestSerializer(serializers.Serializer):
    """What an integration posts to run a report; the service checks the parameters."""

    report = serializers.CharField()
    district = serializers.PrimaryKeyRelatedField(queryset=District.objects.all())
    school_year = serializers.IntegerField()
    as_of = serializers.DateField(required=False, allow_null=True)
    level = serializers.CharField(required=False, allow_blank=True)
    fmt = serializers.CharField(required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["district"].queryset = District.objects.restrict(request.user)


class ReportScheduleSerializer(RestrictedModelSerializer):
    report_key = serializers.ChoiceField(choices=[])

    class Meta:
        model = ReportSchedule
        fields = [
            "id",
            "district",
            "name",
            "report_key",
            "parameters",
            "minute",
            "hour",
            "day_of_month",
            "month_of_year",
            "day_of_week",
            "copy_to_export_folder",
            "enabled",
            "version",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report_key"].choices = [r.key for r in registry.all_reports()]


class CollectionSerializer(RestrictedModelSerializer):
    class Meta:
        model = Collection
        fields = ["id", "district", "name", "report_key", "school_year", "due_date", "warn_days", "notes", "version"]
        validators = []
