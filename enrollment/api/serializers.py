from core.api.viewsets import RestrictedModelSerializer

from .. import models as m


def serializer_for(model, field_names, **meta):
    """A restricted serializer for ``model`` with the listed fields (plus id and version)."""
    attrs = {"model": model, "fields": ["id", *field_names, "version"], "validators": [], **meta}
    return type(f"{model.__name__}Serializer", (RestrictedModelSerializer,), {"Meta": type("Meta", (), attrs)})


StudentSerializer = serializer_for(
    m.Student,
    [
        "district",
        "state_id",
        "local_id",
        "legal_first_name",
        "legal_middle_name",
        "legal_last_name",
        "preferred_name",
        "birth_date",
        "sex",
        "hispanic",
        "races",
        "race_ethnicity",
        "grade_level",
        "home_language",
        "directory_opt_out",
        "household",
        "street",
        "resident_town",
        "latitude",
        "longitude",
    ],
    read_only_fields=["race_ethnicity"],
)
HouseholdSerializer = serializer_for(
    m.Household, ["district", "name", "street", "town", "zip_code", "phone", "email", "preferred_language"]
)
GuardianSerializer = serializer_for(
    m.Guardian,
    [
        "household",
        "first_name",
        "last_name",
        "relationship",
        "phone",
        "email",
        "preferred_language",
        "is_primary_contact",
    ],
)
StudentExternalIdSerializer = serializer_for(m.StudentExternalId, ["student", "source", "external_id"])
ProgramParticipationSerializer = serializer_for(
    m.ProgramParticipation,
    [
        "student",
        "program",
        "data_class",
        "meal_status",
        "meal_source",
        "start_date",
        "end_date",
    ],
    read_only_fields=["data_class"],
)
EnrollmentSerializer = serializer_for(
    m.Enrollment,
    [
        "student",
        "school",
        "school_year",
        "grade_level",
        "entry_date",
        "entry_code",
        "exit_date",
        "exit_code",
        "is_primary",
    ],
)
SchoolCapacitySerializer = serializer_for(m.SchoolCapacity, ["school", "school_year", "grade_level", "seats"])
ApplicationWindowSerializer = serializer_for(
    m.ApplicationWindow, ["district", "name", "school_year", "opens_at", "closes_at", "offer_deadline_days"]
)
ChoiceProgramSerializer = serializer_for(
    m.ChoiceProgram, ["window", "school", "grade_level", "code", "name", "seats", "is_open"]
)
SeatCategorySerializer = serializer_for(m.SeatCategory, ["program", "name", "seats", "fill_order", "eligibility"])
ApplicationSerializer = serializer_for(
    m.Application,
    ["window", "student", "submitted_at", "status"],
    read_only_fields=["window", "student", "submitted_at", "status"],
)
ApplicantPrioritySerializer = serializer_for(
    m.ApplicantPriority, ["application", "program", "kind", "granted", "is_override", "reason"]
)
LotteryRunSerializer = serializer_for(
    m.LotteryRun,
    ["window", "kind", "seed", "input_hash", "tie_breaking", "summary", "ran_at"],
    read_only_fields=["window", "kind", "seed", "input_hash", "tie_breaking", "summary", "ran_at"],
)
OfferSerializer = serializer_for(
    m.Offer,
    ["run", "application", "program", "seat_category", "rank", "status", "respond_by", "responded_at", "enrollment"],
    read_only_fields=[
        "run",
        "application",
        "program",
        "seat_category",
        "rank",
        "status",
        "respond_by",
        "responded_at",
        "enrollment",
    ],
)
WaitlistEntrySerializer = serializer_for(
    m.WaitlistEntry,
    ["run", "program", "application", "position", "rank", "is_active"],
    read_only_fields=["run", "program", "application", "position", "rank", "is_active"],
)
