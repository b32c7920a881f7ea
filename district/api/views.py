from core.api.viewsets import RestrictedModelViewSet

from .. import filtersets as fs
from ..models import Department, District, RoleAssignment, School, SchoolDay, SchoolProfile, SchoolYear
from . import serializers as s


class DistrictViewSet(RestrictedModelViewSet):
    queryset = District.objects.all()
    serializer_class = s.DistrictSerializer
    filterset_class = fs.DistrictFilterSet


class SchoolViewSet(RestrictedModelViewSet):
    queryset = School.objects.all()
    serializer_class = s.SchoolSerializer
    filterset_class = fs.SchoolFilterSet


class SchoolYearViewSet(RestrictedModelViewSet):
    queryset = SchoolYear.objects.all()
    serializer_class = s.SchoolYearSerializer
    filterset_class = fs.SchoolYearFilterSet


class SchoolDayViewSet(RestrictedModelViewSet):
    queryset = SchoolDay.objects.all()
    serializer_class = s.SchoolDaySerializer
    filterset_class = fs.SchoolDayFilterSet


class SchoolProfileViewSet(RestrictedModelViewSet):
    queryset = SchoolProfile.objects.all()
    serializer_class = s.SchoolProfileSerializer
    filterset_class = fs.SchoolProfileFilterSet


class DepartmentViewSet(RestrictedModelViewSet):
    queryset = Department.objects.all()
    serializer_class = s.DepartmentSerializer
    filterset_class = fs.DepartmentFilterSet


class RoleAssignmentViewSet(RestrictedModelViewSet):
    queryset = RoleAssignment.objects.all()
    serializer_class = s.RoleAssignmentSerializer
    filterset_class = fs.RoleAssignmentFilterSet
    prefetch_related = ("schools",)
