"""The enrollment demo data (seed_demo's enrollment hook), on a small build of two districts."""

import datetime
import hashlib
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from district.choices import SchoolType
from district.models import District, SchoolDay, SchoolProfile, SchoolYear
from enrollment import choices as c
from enrollment.demo import PLACEMENT_START, TODAY
from enrollment.models import (
    Application,
    ApplicationChoice,
    ApplicationWindow,
    ChoiceProgram,
    Enrollment,
    Guardian,
    Household,
    LotteryRun,
    Offer,
    ProgramParticipation,
    SchoolCapacity,
    SeatCategory,
    Student,
    StudentExternalId,
)

# Seed 59 gives each of the two small districts a magnet school and a high school (asserted below).
SMALL = {"districts": 2, "schools": 8, "students": 600, "seed": 59}
OCT1 = datetime.date(2026, 10, 1)
FAR = datetime.date(9999, 12, 31)


def seed_demo(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


def fingerprint() -> str:
    """A hash of the data that matters, by natural keys (primary keys differ between builds).

    What the final lottery decided is left out: its draw hashes the applications'
    database ids, which a second build in the same PostgreSQL database does not
    reuse (a fresh database, as ``make run`` has, gives the same ids and so the
    same placements). That is next year's enrollments, and this year's ended on
    the first day of next year by an accepted offer.
    """
    students = Student.objects.values_list(
        "state_id", "race_ethnicity", "grade_level", "birth_date", "sex", "legal_last_name", "home_language"
    )
    enrollments = Enrollment.objects.values_list(
        "student__state_id",
        "student__legal_last_name",
        "school__state_school_id",
        "grade_level",
        "entry_date",
        "entry_code",
        "exit_date",
        "exit_code",
        "is_primary",
    )
    spells = ProgramParticipation.objects.values_list(
        "student__state_id", "program", "start_date", "end_date", "meal_status"
    )
    choices = ApplicationChoice.objects.values_list(
        "application__student__legal_last_name", "application__student__birth_date", "program__code", "rank"
    )
    enrollments = [
        (*row[:6], None, "", *row[8:]) if row[6] == PLACEMENT_START else row  # as if still open
        for row in enrollments.exclude(school_year__end_year=2028)
    ]
    rows = [sorted(map(repr, qs)) for qs in (students, enrollments, spells, choices)]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


class Discard(Exception):
    pass


def fingerprint_of_build(seed: int) -> str:
    """Build on the empty test database, take the fingerprint, and roll the build back."""
    try:
        with transaction.atomic():
            seed_demo(seed=seed)
            result = fingerprint()
            raise Discard
    except Discard:
        return result


def primary_clashes():
    """Primary enrollments overlapping another primary enrollment of the same student (the queryset's rule)."""
    other = (
        Enrollment.objects.filter(student=OuterRef("student"), is_primary=True)
        .exclude(pk=OuterRef("pk"))
        .overlapping(OuterRef("entry_date"), Coalesce(OuterRef("exit_date"), Value(FAR)))
    )
    return Enrollment.objects.filter(is_primary=True).filter(Exists(other))


@pytest.mark.django_db
def test_same_seed_gives_the_same_data_and_another_seed_does_not():
    first = fingerprint_of_build(59)
    assert Student.objects.count() == 0
    assert fingerprint_of_build(59) == first
    assert fingerprint_of_build(60) != first


@pytest.mark.django_db
def test_if_empty_leaves_existing_data_alone_and_says_so():
    seed_demo()
    before = (Student.objects.count(), Enrollment.objects.count(), Application.objects.count())
    again = seed_demo(if_empty=True)
    assert "Demo data already present." in again
    assert "district_admin" in again
    assert (Student.objects.count(), Enrollment.objects.count(), Application.objects.count()) == before
    with pytest.raises(CommandError, match="already exist"):
        seed_demo()


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """One small build shared by a class of read-only checks, rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = seed_demo()
        for district in District.objects.all():
            profiles = SchoolProfile.objects.filter(school__district=district)
            assert profiles.filter(school__school_type=SchoolType.MAGNET).exists(), "pick a seed with magnet schools"
            assert profiles.filter(grades_offered__contains="12").exists(), "pick a seed with high schools"
        yield output
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestSmallBuild:
    def test_counts_and_summary(self, demo):
        assert "enrollment: 600 students" in demo
        assert Student.objects.count() == 600
        per_district = Counter(Student.objects.values_list("district__state_lea_id", flat=True))
        assert sorted(per_district.values()) == [300, 300]
        assert Enrollment.objects.count() > 600
        assert Household.objects.count() < 600
        assert Guardian.objects.count() >= Household.objects.count()
        assert SchoolYear.objects.filter(end_year=2028).count() == 2
        assert ApplicationWindow.objects.count() == 3  # a round each, and the first district's late round

    def test_demographics_look_like_an_urban_connecticut_district(self):
        enrolled = Student.objects.exclude(enrollments=None)
        share = Counter(enrolled.values_list("race_ethnicity", flat=True))
        total = sum(share.values())
        assert 0.35 < share["HI7"] / total < 0.65
        assert 0.15 < share["BL7"] / total < 0.40
        assert share["WH7"] and share["AS7"] and share["MU7"]
        sexes = Counter(Student.objects.values_list("sex", flat=True))
        assert set(sexes) <= {"M", "F", "X"} and sexes["M"] > 200 and sexes["F"] > 200
        languages = set(Student.objects.values_list("home_language", flat=True))
        assert {"English", "Spanish"} <= languages and len(languages) >= 5
        assert Student.objects.exclude(race_ethnicity="HI7").filter(hispanic=True).count() == 0

    def test_ids_and_addresses(self):
        # Students enrolled by this year (applicants placed by the lottery for next year wait for theirs).
        enrolled = Student.objects.filter(enrollments__school_year__end_year__lte=2027).distinct()
        assert enrolled.filter(state_id=None).count() == 0
        assert all(len(s) == 10 and s.isdigit() for s in enrolled.values_list("state_id", flat=True))
        assert enrolled.filter(local_id="").count() == 0
        with_sis = enrolled.filter(external_ids__source=c.ExternalSource.SIS).count()
        assert with_sis > 0.9 * enrolled.count()
        near = Student.objects.filter(latitude__range=(41.4, 42.1), longitude__range=(-73.1, -72.2))
        assert near.count() == 600
        assert Student.objects.filter(resident_town="").count() == 0

    def test_households_hold_one_to_four_children_with_a_guardian(self):
        sizes = Household.objects.annotate(n=Count("students")).values_list("n", flat=True)
        assert set(sizes) <= {1, 2, 3, 4} and 2 in set(sizes)
        assert Student.objects.filter(household=None).count() == 0
        assert Household.objects.filter(guardians=None).count() == 0
        assert Guardian.objects.filter(is_primary_contact=True).count() == Household.objects.count()
        assert Guardian.objects.filter(phone="").count() == 0

    def test_birth_dates_fit_the_grade(self):
        current = Enrollment.objects.filter(
            school_year__end_year=2027, is_primary=True, grade_level__in=["01", "06", "12"]
        )
        for grade, born in current.values_list("grade_level", "student__birth_date"):
            age = 2026 - born.year - ((born.month, born.day) > (9, 1))  # age on September 1, 2026
            assert int(grade) + 5 <= age <= int(grade) + 6, (grade, born)

    def test_no_primary_enrollments_overlap(self):
        assert Enrollment.objects.filter(is_primary=True).count() > 600
        assert primary_clashes().count() == 0

    def test_the_overlap_check_finds_an_overlap(self):
        """The check above can fail: an overlapping primary enrollment is found (or refused by PostgreSQL)."""
        year_end = (
            Enrollment.objects.filter(exit_code=c.ExitCode.PROMOTED, school_year__end_year=2026).order_by("pk").first()
        )
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with pytest.raises(IntegrityError):
                    Enrollment.objects.filter(pk=year_end.pk).update(exit_date=datetime.date(2026, 9, 15))
            else:
                Enrollment.objects.filter(pk=year_end.pk).update(exit_date=datetime.date(2026, 9, 15))
                assert primary_clashes().count() == 2
            transaction.set_rollback(True)

    def test_history_codes_and_dates(self):
        prior = Enrollment.objects.filter(school_year__end_year=2026)
        assert prior.filter(exit_date=None).count() == 0
        assert prior.filter(exit_code=c.ExitCode.PROMOTED).exclude(exit_date=datetime.date(2026, 6, 12)).count() == 0
        assert prior.filter(exit_code=c.ExitCode.GRADUATED).exclude(grade_level="12").count() == 0
        assert prior.filter(exit_code=c.ExitCode.GRADUATED).count() > 0
        graduates = prior.filter(exit_code=c.ExitCode.GRADUATED).values("student")
        assert Enrollment.objects.filter(school_year__end_year=2027, student__in=graduates).count() == 0
        codes = set(Enrollment.objects.values_list("entry_code", flat=True))
        assert {"E1", "E2", "E3", "R1"} <= codes
        assert set(Enrollment.objects.exclude(exit_code="").values_list("exit_code", flat=True)) >= {"P1", "G1", "T1"}
        assert Enrollment.objects.filter(entry_date__lt=F("school_year__start_date")).count() == 0
        assert Enrollment.objects.filter(entry_date__gt=F("school_year__end_date")).count() == 0
        # Only a transfer to a school-choice placement ends this year's enrollment after today: on the day it begins.
        later = Enrollment.objects.filter(exit_date__gt=TODAY, school_year__end_year=2027)
        assert later.exclude(exit_date=datetime.date(2027, 8, 26)).count() == 0
        placed = Offer.objects.filter(status=c.OfferStatus.ACCEPTED).values("application__student")
        assert later.exclude(student__in=placed).count() == 0
        secondary = Enrollment.objects.filter(is_primary=False)
        assert secondary.exclude(grade_level__in=["11", "12"]).count() == 0

    def test_promoted_students_move_up_one_grade(self):
        order = list(c.GradeLevel.values)
        moved = Enrollment.objects.filter(
            school_year__end_year=2027, entry_date=datetime.date(2026, 8, 27), is_primary=True
        ).values_list("student", "grade_level")
        before = dict(
            Enrollment.objects.filter(school_year__end_year=2026, exit_code=c.ExitCode.PROMOTED).values_list(
                "student", "grade_level"
            )
        )
        steps = Counter(order.index(grade) - order.index(before[s]) for s, grade in moved if s in before)
        assert steps[1] > 0.9 * sum(steps.values())
        assert set(steps) <= {0, 1}

    def test_every_spell_carries_its_programs_data_class(self):
        for program, data_class in c.PROGRAM_CLASS.items():
            rows = ProgramParticipation.objects.filter(program=program)
            assert rows.exists(), program
            assert rows.exclude(data_class=data_class).count() == 0, program
        meals = ProgramParticipation.objects.filter(program=c.Program.MEALS)
        assert meals.filter(meal_status="").count() == 0 and meals.filter(meal_source="").count() == 0
        assert ProgramParticipation.objects.exclude(program=c.Program.MEALS).exclude(meal_status="").count() == 0
        assert ProgramParticipation.objects.filter(end_date__lte=F("start_date")).count() == 0
        for spell in ProgramParticipation.objects.order_by("pk")[:40]:
            stored = spell.data_class
            spell.clean()  # sets the data class itself, and refuses an overlapping spell
            assert spell.data_class == stored

    def test_program_shares_on_october_first(self):
        enrolled = Student.objects.enrolled_on(OCT1)
        total = enrolled.count()

        def share(program):
            active = ProgramParticipation.objects.active_on(OCT1).filter(program=program, student__in=enrolled)
            return active.values("student").distinct().count() / total

        assert 0.12 < share(c.Program.ENGLISH_LEARNER) < 0.30
        assert 0.10 < share(c.Program.IDEA) < 0.25
        assert 0.01 < share(c.Program.SECTION_504) < 0.08
        assert 0.60 < share(c.Program.MEALS) < 0.82
        sources = Counter(
            ProgramParticipation.objects.active_on(OCT1).filter(program="meals").values_list("meal_source", flat=True)
        )
        assert sources["direct_cert"] > sources["application"] and sources["cep"] > 0

    def test_membership_on_october_first_equals_active_students(self):
        membership = sum(row["students"] for row in Enrollment.objects.membership(OCT1))
        in_python = {
            student
            for student, entry, exit_, primary in Enrollment.objects.values_list(
                "student", "entry_date", "exit_date", "is_primary"
            )
            if primary and entry <= OCT1 and (exit_ is None or exit_ > OCT1)
        }
        assert membership == len(in_python) == Student.objects.enrolled_on(OCT1).count()
        assert membership > 450

    def test_capacity_gives_70_to_115_percent_utilization(self):
        for end_year, day in ((2026, datetime.date(2025, 10, 1)), (2027, OCT1)):
            counts = {
                (row["school"], row["grade_level"]): row["students"]
                for row in Enrollment.objects.filter(school_year__end_year=end_year).membership(day)
            }
            capacities = SchoolCapacity.objects.filter(school_year__end_year=end_year)
            assert capacities.count() >= len(counts) > 0
            for cap in capacities:
                enrolled = counts.get((cap.school_id, cap.grade_level), 0)
                if enrolled:
                    assert 0.70 <= enrolled / cap.seats <= 1.15, (cap, enrolled)
        assert SchoolCapacity.objects.filter(school_year__end_year=2028).exists()

    def test_choice_round_is_closed_and_has_had_its_final_lottery(self):
        late = ApplicationWindow.objects.get(name__startswith="Late applications")  # the first district's late round
        assert late.opens_at < timezone.now() < late.closes_at and not late.lottery_runs.exists()
        assert late.applications.exists() and not late.applications.filter(priorities__isnull=False).exists()
        for window in ApplicationWindow.objects.exclude(pk=late.pk).select_related("school_year"):
            assert timezone.localtime(window.opens_at).date() == datetime.date(2026, 10, 1)
            assert timezone.localtime(window.closes_at).date() == datetime.date(2026, 11, 15) < TODAY
            year = window.school_year
            assert (year.end_year, year.start_date, year.end_date) == (
                2028,
                datetime.date(2027, 8, 26),
                datetime.date(2028, 6, 9),
            )
            assert year.district_id == window.district_id
            assert SchoolDay.objects.filter(school_year=year).count() > 170
            assert window.programs.exists() and window.applications.exists()
        programs = ChoiceProgram.objects.all()
        assert set(programs.values_list("grade_level", flat=True)) <= {"PK", "KG", "06", "09"}
        assert programs.filter(seats__lt=1).count() == 0
        assert programs.exclude(school__district=F("window__district")).count() == 0
        for profile in SchoolProfile.objects.filter(school__school_type=SchoolType.MAGNET, school_year__end_year=2027):
            for grade in set(profile.grades) & {"PK", "KG", "06", "09"}:
                assert programs.filter(school=profile.school_id, grade_level=grade).exists(), (profile, grade)
        for program in programs:
            assert sum(program.seat_categories.values_list("seats", flat=True)) <= program.seats
        assert SeatCategory.objects.filter(eligibility=c.PriorityKind.SIBLING).exists()

    def test_each_window_ran_its_final_lottery_and_the_first_district_answered_some_offers(self, demo):
        first, second = District.objects.order_by("pk")
        for district in (first, second):
            [run] = LotteryRun.objects.filter(window__district=district)
            assert run.kind == c.RunKind.FINAL and run.seed == f"demo-59-{district.state_lea_id}"
            assert run.ran_by is None and run.summary["offers"] > 0 and run.summary["matched"] > 0
            assert Offer.objects.filter(run=run).count() >= run.summary["offers"]
            for program in run.window.programs.all():
                live = program.offers.filter(status__in=[c.OfferStatus.PENDING, c.OfferStatus.ACCEPTED]).count()
                assert live <= program.seats
        answered = Offer.objects.filter(status__in=[c.OfferStatus.ACCEPTED, c.OfferStatus.DECLINED])
        assert answered.filter(run__window__district=first).exists()
        assert not answered.filter(run__window__district=second).exists()
        for offer in Offer.objects.filter(status=c.OfferStatus.ACCEPTED).select_related("enrollment", "program"):
            assert offer.enrollment.school_id == offer.program.school_id
            assert offer.enrollment.school_year.end_year == 2028 and offer.enrollment.entry_code == c.EntryCode.CHOICE
        assert "final lottery:" in demo and "offers accepted" in demo

    def test_every_application_ranks_one_to_twelve_programs_of_its_window_once(self):
        applications = Application.objects.annotate(
            n=Count("choices"),
            programs_=Count("choices__program", distinct=True),
            first=Min("choices__rank"),
            last=Max("choices__rank"),
        )
        assert applications.count() > 20
        for app in applications:
            assert 1 <= app.n <= 12
            assert app.programs_ == app.n and app.first == 1 and app.last == app.n
        elsewhere = ApplicationChoice.objects.exclude(program__window=F("application__window"))
        assert elsewhere.count() == 0
        window_closed = Application.objects.filter(submitted_at__gt=F("window__closes_at"))
        assert (
            window_closed.count() == 0
            and Application.objects.filter(submitted_at__lt=F("window__opens_at")).count() == 0
        )
        lengths = Counter(applications.values_list("n", flat=True))
        assert lengths[1] and max(lengths) >= 2

    def test_applicants_without_enrollment_have_no_state_id(self):
        applicants = Student.objects.applicants()
        assert applicants.count() > 0
        assert applicants.exclude(state_id=None).count() == 0
        towns = {
            district: set(
                SchoolProfile.objects.filter(school__district=district).values_list("school__city", flat=True)
            )
            for district in applicants.values_list("district", flat=True).distinct()
        }
        outside = [s for s in applicants if s.resident_town not in towns[s.district_id]]
        assert 0 < len(outside) < applicants.count()
        assert Application.objects.filter(student__in=applicants).count() == applicants.count()
        mismatched = Application.objects.exclude(student__district=F("window__district"))
        assert mismatched.count() == 0
        lottery_ids = StudentExternalId.objects.filter(source=c.ExternalSource.LOTTERY).count()
        # Each applicant of the main rounds came through the regional lottery (the late round's are enrolled here).
        assert lottery_ids == Application.objects.exclude(window__name__startswith="Late applications").count()
