from core.api.viewsets import viewset_for

from .. import filtersets as fs
from ..models import Department, District, RoleAssignment, School, SchoolDay, SchoolProfile, SchoolYear
from . import serializers as s

DistrictViewSet = viewset_for(District, s.DistrictSerializer, fs.DistrictFilterSet)
SchoolViewSet = viewset_for(School, s.SchoolSerializer, fs.SchoolFilterSet)
SchoolYearViewSet = viewset_for(SchoolYear, s.SchoolYearSerializer, fs.SchoolYearFilterSet)
SchoolDayViewSet = viewset_for(SchoolDay, s.SchoolDaySerializer, fs.SchoolDayFilterSet)
SchoolProfileViewSet = viewset_for(SchoolProfile, s.SchoolProfileSerializer, fs.SchoolProfileFilterSet)
DepartmentViewSet = viewset_for(Department, s.DepartmentSerializer, fs.DepartmentFilterSet)
RoleAssignmentViewSet = viewset_for(
    RoleAssignment, s.RoleAssignmentSerializer, fs.RoleAssignmentFilterSet, prefetch_related=("schools",)
)
