from rest_framework import serializers

from core import policy
from core.api.viewsets import RestrictedModelSerializer

from ..models import Department, District, RoleAssignment, School, SchoolDay, SchoolProfile, SchoolYear


class DistrictSerializer(RestrictedModelSerializer):
    class Meta:
        model = District
        fields = [
            "id",
            "name",
            "state_lea_id",
            "nces_id",
            "state",
            "fips_code",
            "access_grace_days",
            "time_zone",
            "version",
            "updated_at",
        ]


class SchoolSerializer(RestrictedModelSerializer):
    class Meta:
        model = School
        fields = [
            "id",
            "district",
            "name",
            "state_school_id",
            "nces_id",
            "school_type",
            "street",
            "city",
            "zip_code",
            "latitude",
            "longitude",
            "phone",
            "is_active",
            "version",
            "updated_at",
        ]


class SchoolYearSerializer(RestrictedModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = SchoolYear
        fields = ["id", "district", "name", "end_year", "start_date", "end_date", "version", "updated_at"]
        validators = []  # the model's constraints are checked by the service's full_clean


class SchoolDaySerializer(RestrictedModelSerializer):
    class Meta:
        model = SchoolDay
        fields = ["id", "school_year", "date", "is_instructional", "note", "version"]
        validators = []


class SchoolProfileSerializer(RestrictedModelSerializer):
    class Meta:
        model = SchoolProfile
        fields = [
            "id",
            "school",
            "school_year",
            "grades_offered",
            "title_i_status",
            "nslp_status",
            "virtual_status",
            "shared_time",
            "version",
        ]
        validators = []


class DepartmentSerializer(RestrictedModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "district", "code", "name", "email", "version"]
        validators = []


class RoleAssignmentSerializer(RestrictedModelSerializer):
    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "role", "district", "department", "schools", "title", "is_active", "version"]

    def validate(self, attrs):
        merged = {
            **(
                {}
                if self.instance is None
                else {
                    "role": self.instance.role,
                    "district": self.instance.district,
                    "department": self.instance.department,
                    "schools": list(self.instance.schools.all()),
                }
            ),
            **attrs,
        }
        department = merged.get("department")
        problems = policy.assignment_problems(
            merged.get("role"),
            getattr(merged.get("district"), "pk", None),
            department.code if department else None,
            [s.pk for s in merged.get("schools") or []],
        )
        if problems:
            raise serializers.ValidationError(problems)
        return attrs
