from django.utils.translation import gettext_lazy as _

from core.registry import ALL_ACTIONS, READ_ONLY, Pages, pages

from . import filtersets as fs
from .forms import CollectionForm, ReportScheduleForm, SexValueSettingForm
from .models import Collection, ReportRun, ReportSchedule, SexValueSetting
from .services import report_schedule_save, sex_value_setting_save
from .views import RunDetailView

SECTION = _("Reporting")

pages.register(
    Pages(
        model=ReportRun,
        section=SECTION,
        filterset=fs.ReportRunFilterSet,
        actions=READ_ONLY,
        list_columns=[
            "display_title",
            "school_year",
            "status",
            "certification",
            "queued_at",
            "finished_at",
            "requested_by",
            "district",
        ],
        extra_views={"detail": RunDetailView},
        links=[(_("Report catalogue"), "reporting:catalogue")],
    )
)
pages.register(
    Pages(
        model=ReportSchedule,
        section=SECTION,
        filterset=fs.ReportScheduleFilterSet,
        form=ReportScheduleForm,
        fields=ReportScheduleForm.Meta.fields,
        save=report_schedule_save,
        actions=ALL_ACTIONS - {"import"},
        list_columns=["name", "report_key", "hour", "day_of_month", "month_of_year", "enabled", "district"],
    )
)
pages.register(
    Pages(
        model=Collection,
        section=SECTION,
        filterset=fs.CollectionFilterSet,
        form=CollectionForm,
        fields=CollectionForm.Meta.fields,
        actions=ALL_ACTIONS - {"import"},
        list_columns=["name", "report_key", "school_year", "due_date", "district"],
        links=[(_("Submission calendar"), "reporting:calendar")],
    )
)
pages.register(
    Pages(
        model=SexValueSetting,
        section=SECTION,
        filterset=fs.SexValueSettingFilterSet,
        form=SexValueSettingForm,
        fields=SexValueSettingForm.Meta.fields,
        save=sex_value_setting_save,
        actions=ALL_ACTIONS - {"import", "delete"},
        list_columns=["report_title", "spec_version", "values", "others", "district"],
    )
)
