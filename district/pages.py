"""Pages for district reference data, registered with the chassis."""

from django.utils.translation import gettext_lazy as _

from core.registry import Pages, pages

from . import filtersets as fs
from .forms import DistrictForm, RoleAssignmentForm, SchoolProfileForm
from .models import Department, District, RoleAssignment, School, SchoolDay, SchoolProfile, SchoolYear

SECTION = _("District")

pages.register(
    Pages(
        model=District,
        section=SECTION,
        filterset=fs.DistrictFilterSet,
        form=DistrictForm,
        fields=DistrictForm.Meta.fields,
        list_columns=["name", "state_lea_id", "nces_id", "state"],
        import_key="state_lea_id",
    )
)
pages.register(
    Pages(
        model=School,
        section=SECTION,
        filterset=fs.SchoolFilterSet,
        fields=[
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
        ],
        list_columns=["name", "state_school_id", "school_type", "city", "district", "is_active"],
        import_key="state_school_id",
        related_keys={"district": "state_lea_id"},
    )
)
pages.register(
    Pages(
        model=SchoolYear,
        section=SECTION,
        filterset=fs.SchoolYearFilterSet,
        fields=["district", "end_year", "start_date", "end_date"],
        list_columns=["name", "district", "start_date", "end_date"],
        related_keys={"district": "state_lea_id"},
    )
)
pages.register(
    Pages(
        model=SchoolDay,
        section=SECTION,
        filterset=fs.SchoolDayFilterSet,
        fields=["school_year", "date", "is_instructional", "note"],
        list_columns=["date", "school_year", "is_instructional", "note"],
    )
)
pages.register(
    Pages(
        model=SchoolProfile,
        section=SECTION,
        filterset=fs.SchoolProfileFilterSet,
        form=SchoolProfileForm,
        fields=SchoolProfileForm.Meta.fields,
        list_columns=["school", "school_year", "grades_offered", "title_i_status", "nslp_status", "virtual_status"],
        related_keys={"school": "state_school_id"},
    )
)
pages.register(
    Pages(
        model=Department,
        section=SECTION,
        filterset=fs.DepartmentFilterSet,
        fields=["district", "code", "name", "email"],
        list_columns=["code", "name", "district", "email"],
        related_keys={"district": "state_lea_id"},
    )
)
pages.register(
    Pages(
        model=RoleAssignment,
        section=_("Administration"),
        filterset=fs.RoleAssignmentFilterSet,
        form=RoleAssignmentForm,
        fields=RoleAssignmentForm.Meta.fields,
        list_columns=["user", "role", "district", "department", "title", "is_active"],
        actions=frozenset({"list", "detail", "add", "edit", "delete", "export"}),
    )
)
