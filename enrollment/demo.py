"""Demo and scale data for enrollment: students, history, programs, capacity and a choice round.

The ``seed_demo`` hook :func:`build` runs after the district app's and uses
the districts, schools and school years it made. For each district it makes,
from ``options["seed"]`` alone:

- students spread over the schools by the grades each offers, with the
  demographics of an urban Connecticut district, households with guardians,
  addresses near the district, and state, local and external ids;
- two years of enrollment history (2025-26 and the current 2026-27):
  promotion, graduation, mid-year transfers and withdrawals, dual enrollment;
- dated program participation (English learner, IDEA, Section 504, meals);
- seats per school, grade and year, sized for 70% to 115% utilization;
- a closed school-choice round for 2027-28 (programs, set-asides, ranked
  applications from district students and from other districts), and its
  final lottery run through the lottery service (priorities computed from
  the data, a seed published from the demo's seed), so the choice KPIs have
  values; in the first district a sample of the offers is then answered
  through the offer services (some declined, which moves the waitlists).

Rows go in with ``bulk_create`` and no audit rows: seed data is nobody's
change. The lottery and the answers are workflows, run as the system, and
audited as such. The demo's "today" is fixed (:data:`TODAY`), so the same seed gives
the same data on any day. Each district draws from its own generator,
seeded from the seed and the district's state id.
"""

from __future__ import annotations

import bisect
import collections
import datetime
import itertools
import math
import random
import unicodedata
import zlib
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import reset_queries
from django.utils import timezone

from district.choices import NslpStatus, SchoolType
from district.demo import _closed_dates
from district.models import District, School, SchoolDay, SchoolProfile, SchoolYear
from district.services import instructional_dates

from . import choices as c
from .models import (
    Application,
    ApplicationChoice,
    ApplicationWindow,
    ChoiceProgram,
    Enrollment,
    Guardian,
    Household,
    Offer,
    ProgramParticipation,
    SchoolCapacity,
    SeatCategory,
    Student,
    StudentExternalId,
    federal_race_ethnicity,
)

TODAY = datetime.date(2026, 11, 23)
CURRENT_END_YEAR = 2027
PLACEMENT_END_YEAR = 2028
PLACEMENT_START, PLACEMENT_END = datetime.date(2027, 8, 26), datetime.date(2028, 6, 9)
WINDOW_OPENS, WINDOW_CLOSES = datetime.datetime(2026, 10, 1, 8, 0), datetime.datetime(2026, 11, 15, 23, 59)
BATCH = 2000
ANSWERED_OFFERS = 150  # offers answered in the demo district: enough for offer yield and waitlist fill

K12 = ["PK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]
# Years past kindergarten, for birth dates: PK is -1, KG 0, grade 12 is 12.
GRADE_INDEX = {g: i - 1 for i, g in enumerate(K12)} | {"13": 13, "UG": 10, "AE": 16}
# Relative cohort size by grade (PK half-day programs are smaller; the ninth-grade bulge).
GRADE_SIZE = dict.fromkeys(K12, 1.0) | {
    "PK": 0.6,
    "09": 1.12,
    "11": 0.93,
    "12": 0.88,
    "UG": 0.12,
    "13": 0.05,
    "AE": 0.05,
}
GRADUATED = "graduated"
ENTRY_GRADES = ("PK", "KG", "06", "09")
REGIONAL_ENTRY = {(SchoolType.TECHNICAL, "09"), (SchoolType.CHARTER, "KG")}
OPEN_CHOICE = {"KG": 2, "06": 1, "09": 1}  # neighborhood schools offering open-choice seats, per grade
GRADE_NAMES = {"PK": "Pre-K", "KG": "Kindergarten", "06": "Grade 6", "09": "Grade 9"}
PREVIOUS = {"KG": "PK", "06": "05", "09": "08"}  # entry grade -> the grade applicants are in now
SCHOOL_SIZE = {SchoolType.TECHNICAL: 0.7, SchoolType.ALTERNATIVE: 0.3, SchoolType.CHARTER: 0.8}
REGIONAL_TYPES = {SchoolType.MAGNET, SchoolType.TECHNICAL, SchoolType.CHARTER}

# Federal race/ethnicity mix of an urban Connecticut district, and the race codes behind each.
ETHNICITY_MIX = [("HI7", 50), ("BL7", 28), ("WH7", 12), ("AS7", 5), ("MU7", 4), ("other", 1)]
HISPANIC_RACES = [("WH7", 45), ("", 30), ("BL7", 8), ("BL7 WH7", 7), ("AM7", 5), ("AM7 WH7", 5)]
MULTIRACIAL_RACES = [("BL7 WH7", 50), ("AS7 WH7", 20), ("AM7 WH7", 15), ("AS7 BL7", 10), ("AM7 BL7", 5)]
OTHER_RACES = [("AM7", 70), ("PI7", 30)]
LANGUAGES = {
    "HI7": [("Spanish", 52), ("English", 46), ("Portuguese", 2)],
    "BL7": [("English", 86), ("Haitian Creole", 4), ("French", 2), ("Somali", 2), ("Swahili", 2), ("Portuguese", 4)],
    "WH7": [("English", 68), ("Polish", 8), ("Portuguese", 6), ("Arabic", 8), ("Albanian", 3), ("Bosnian", 3),
            ("Ukrainian", 4)],
    "AS7": [("English", 28), ("Bengali", 26), ("Vietnamese", 12), ("Nepali", 10), ("Burmese", 8), ("Mandarin", 8),
            ("Urdu", 8)],
    "MU7": [("English", 85), ("Spanish", 10), ("Portuguese", 5)],
    "other": [("English", 90), ("Spanish", 10)],
}  # fmt: skip

# Name lists: (female given names, male given names, family names).
NAMES = {
    "hispanic": (
        "Sofía Valentina Camila Isabella Mía Luciana Ximena Gabriela Daniela Natalia Alondra Génesis Nayeli Adriana "
        "Marisol Jazmín Paola Andrea Lucía Valeria Emely Yamilet Aaliyah Brianna Kiara Yaritza",
        "Mateo Santiago Sebastián Adrián Ángel José Luis Carlos Jayden Joel Kevin Jesús Miguel Gabriel Emmanuel "
        "Andrés Diego Julián Elías Xavier Christopher Josué Yadiel Jeremy Jonathan Dylan",
        "Rodríguez Rivera Santiago Colón Torres Ortiz Cruz Pérez González Hernández Martínez López Díaz Vázquez "
        "Ramos Morales Reyes Figueroa Velázquez Rosado Medina Castro Acevedo Ayala Quiñones Matos Feliciano Pagán "
        "Nieves Báez Guzmán Soto Mercado Maldonado Burgos Serrano Negrón Cintrón Santana Jiménez",
    ),
    "general": (
        "Olivia Ava Amara Zoe Maya Chloe Nevaeh Madison Emma Harper Kennedy Imani Jada Aubrey Layla Skylar Destiny "
        "Riley Savannah Naomi Grace Ella Kayla Hannah Amani Zuri Nia Abigail Charlotte Keisha",
        "Jayden Elijah Josiah Malik Isaiah Caleb Jeremiah Noah Liam Ethan Mason Aiden Logan Carter Jaylen Micah "
        "Tyrell Darius Andre Jordan Cameron Owen Lucas Henry Wyatt Marcus Terrell Amir Brandon Tyler",
        "Johnson Williams Brown Jones Davis Jackson Harris Robinson Thomas Walker Wright Green Baker Hill Scott "
        "Mitchell Campbell Allen Young Carter Edwards Bennett Powell Simmons Grant Francis Graham McKenzie Sullivan "
        "Murphy O'Brien Kelly Russo Moretti Carlson Nelson Fischer Miller Anderson Clarke Gordon Reid Thompson "
        "White Lewis Morris Bailey Brooks Coleman Dawkins Ellis Foster Greene Hayes Jenkins",
    ),
    "arabic": (
        "Fatima Layla Mariam Noor Aisha Zainab Huda Salma Yasmin Rania Amal Lina",
        "Omar Ahmad Yusuf Ali Hamza Ibrahim Khalid Karim Mustafa Adam Bilal Tariq",
        "Haddad Khalil Nasser Saleh Hassan Mansour Darwish Abdullah Yousef Qasim Hamdan Jaber",
    ),
    "south_asian": (
        "Nusrat Tasnim Ayesha Sadia Farhana Maliha Anika Sumaiya Priya Ria Zara Hafsa",
        "Rahim Tanvir Arif Sabbir Imran Rafi Nabil Zayan Arjun Rohan Ayaan Faisal",
        "Rahman Hossain Ahmed Islam Chowdhury Uddin Miah Alam Sarker Das Khan Malik Qureshi Siddiqui",
    ),
    "vietnamese": (
        "Linh Mai Thu Ngoc Anh Thao Vy Hoa Trang Quynh",
        "Minh Huy Khang Bao Duc Quang Long Tuan Phuc Khoa",
        "Nguyen Tran Le Pham Hoang Vu Dang Bui Do Ngo",
    ),
    "himalayan": (
        "Sita Maya Anjali Pema Sunita Hla Thiri Nandar Dolma Sabina",
        "Bikash Suman Prakash Tenzin Aung Kyaw Zaw Nima Dawa Sagar",
        "Gurung Tamang Rai Sherpa Thapa Magar Htun Win Oo Lwin",
    ),
    "chinese": (
        "Mei Xin Yuting Jia Lin Qing Yue Hui",
        "Wei Jun Hao Yi Jian Ming Bo Kai",
        "Chen Wang Li Zhang Liu Huang Zhou Wu Lin Zhao",
    ),
    "slavic": (
        "Zofia Julia Maja Oliwia Natalia Anastasia Daria Kateryna Alicja Sofiia",
        "Jakub Szymon Filip Kacper Antoni Mykola Dmytro Oleksandr Mikolaj Bohdan",
        "Kowalski Nowak Wiśniewski Zieliński Lewandowski Kamiński Shevchenko Bondarenko Kovalenko Melnyk Mazur",
    ),
    "portuguese": (
        "Ana Beatriz Larissa Júlia Mariana Letícia Isadora Carolina Yasmin Luana",
        "João Pedro Gustavo Rafael Thiago Lucas Davi Enzo Matheus Vinícius",
        "Silva Santos Oliveira Souza Pereira Costa Ferreira Almeida Carvalho Gomes Rodrigues Barbosa Fontes Tavares",
    ),
    "african_caribbean": (
        "Naïka Rose Esther Fabiola Amina Fatou Nadège Chantal Hodan Ifrah Neema",
        "Jean Jacques Wesley Mamadou Ousmane Emmanuel Didier Samuel Abdi Bashir Baraka",
        "Pierre Jean-Baptiste Joseph Charles Louis Dorvil Desir Alexis Diallo Mohamed Abdi Warsame Mwangi Okafor",
    ),
    "balkan": (
        "Elira Arta Amra Lejla Ajla Dea Besa Mirela",
        "Arben Ermal Emir Adnan Edin Luan Dardan Kenan",
        "Hoxha Krasniqi Gashi Berisha Hodžić Begić Mehmedović Kovačević Dervishi",
    ),
}
NAMES = {key: tuple(part.split() for part in parts) for key, parts in NAMES.items()}
LANGUAGE_NAMES = {
    "Spanish": "hispanic",
    "Portuguese": "portuguese",
    "Arabic": "arabic",
    "Bengali": "south_asian",
    "Urdu": "south_asian",
    "Polish": "slavic",
    "Ukrainian": "slavic",
    "Vietnamese": "vietnamese",
    "Nepali": "himalayan",
    "Burmese": "himalayan",
    "Mandarin": "chinese",
    "Haitian Creole": "african_caribbean",
    "French": "african_caribbean",
    "Somali": "african_caribbean",
    "Swahili": "african_caribbean",
    "Albanian": "balkan",
    "Bosnian": "balkan",
}
ENGLISH_NAMES = {"HI7": "hispanic", "BL7": "general", "WH7": "general", "MU7": "general", "other": "general"}
STREETS = [
    "Park Street", "Broad Street", "Albany Avenue", "Zion Street", "Wethersfield Avenue", "Franklin Avenue",
    "Maple Avenue", "Farmington Avenue", "Asylum Avenue", "Main Street", "Washington Street", "Homestead Avenue",
    "Garden Street", "Capen Street", "Blue Hills Avenue", "Barbour Street", "Sisson Avenue", "New Britain Avenue",
    "Fairfield Avenue", "Hillside Avenue", "Prospect Avenue", "Oak Street", "Elm Street", "Laurel Street",
    "Vine Street", "Brook Street", "Center Street", "Church Street", "Silver Lane", "Burnside Avenue",
    "Woodland Street", "Edgewood Street", "Cedar Street", "Putnam Street", "Locust Street",
]  # fmt: skip
NEARBY_TOWNS = [
    "West Hartford", "East Hartford", "Wethersfield", "Windsor", "Bloomfield", "Newington", "Manchester",
    "New Britain", "Glastonbury", "Rocky Hill", "South Windsor", "Enfield", "Bristol", "Vernon", "Farmington",
]  # fmt: skip
TOWN_ZIPS = {
    "Hartford": ["06103", "06105", "06106", "06112", "06114", "06120"],
    "West Hartford": ["06107", "06110", "06117", "06119"],
    "East Hartford": ["06108", "06118"],
    "Wethersfield": ["06109"],
    "Windsor": ["06095"],
    "Bloomfield": ["06002"],
    "Newington": ["06111"],
}
GUARDIAN_FIRST = [("mother", 68), ("father", 16), ("grandmother", 9), ("guardian", 4), ("aunt", 3)]
GUARDIAN_SECOND = [("father", 74), ("stepfather", 10), ("grandmother", 8), ("grandfather", 4), ("uncle", 4)]
FEMALE_RELATIONS = {"mother", "grandmother", "aunt"}
HOUSEHOLD_SIZES = [(1, 55), (2, 30), (3, 11), (4, 4)]
MEAL_RATE = {"HI7": 0.78, "BL7": 0.78, "WH7": 0.45, "AS7": 0.6, "MU7": 0.7, "other": 0.7}


def _weighted(pairs):
    """A list of (value, weight) pairs as (values, cumulative weights) for ``Random.choices``."""
    values = [v for v, _ in pairs]
    return values, list(itertools.accumulate(w for _, w in pairs))


ETHNICITY_PICK = _weighted(ETHNICITY_MIX)
RACE_PICK = {"HI7": _weighted(HISPANIC_RACES), "MU7": _weighted(MULTIRACIAL_RACES), "other": _weighted(OTHER_RACES)}
LANGUAGE_PICK = {group: _weighted(pairs) for group, pairs in LANGUAGES.items()}
GUARDIAN_PICK = (_weighted(GUARDIAN_FIRST), _weighted(GUARDIAN_SECOND))
SIZE_PICK = _weighted(HOUSEHOLD_SIZES)


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder, ties by position)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _birth_window(grade_index: int, end_year: int) -> tuple[datetime.date, datetime.date]:
    """Birth dates of a child on grade for ``grade_index`` in the school year ending ``end_year``.

    Connecticut's kindergarten cutoff: five years old by September 1.
    """
    return datetime.date(end_year - 7 - grade_index, 9, 2), datetime.date(end_year - 6 - grade_index, 9, 1)


@dataclass(slots=True)
class Spell:
    """A planned enrollment, before the student has a primary key."""

    school: School
    year: SchoolYear
    grade: str
    entry: datetime.date
    entry_code: str
    exit: datetime.date | None = None
    exit_code: str = ""
    primary: bool = True


@dataclass(slots=True)
class Kid:
    """A planned student: what they are, where they were, and their record once made."""

    kind: str  # current, graduate, leaver, prospect (in-district applicant), outside (out-of-district applicant)
    grade: str
    school: School | None
    grade_index: int
    end_year: int
    spells: list[Spell] = field(default_factory=list)
    student: Student | None = None
    household: list[Kid] | None = None
    applies_to: str = ""  # the entry grade applied for in the choice round


@dataclass
class Totals:
    students: int = 0
    applicants: int = 0
    households: int = 0
    guardians: int = 0
    enrollments: int = 0
    participations: int = 0
    capacities: int = 0
    programs: int = 0
    applications: int = 0
    choices: int = 0


class _Ids:
    """State student ids, unique across the whole build (and any students already there)."""

    def __init__(self):
        self.state_ids: set[str] = set(Student.objects.exclude(state_id=None).values_list("state_id", flat=True))

    def state_id(self, rng: random.Random) -> str:
        while True:
            sasid = str(rng.randrange(1_000_000_000, 10_000_000_000))
            if sasid not in self.state_ids:
                self.state_ids.add(sasid)
                return sasid


def build(*, options: dict, context: dict) -> str:
    """The demo-data hook (see core's seed_demo command)."""
    districts: list[District] = context["districts"]
    schools: list[School] = context["schools"]
    years: list[SchoolYear] = context["years"]
    per_district = _apportion(
        options["students"], [sum(1 for s in schools if s.district_id == d.pk) for d in districts]
    )
    ids = _Ids()
    totals = Totals()
    windows, placement_years = [], []
    for district, n_students in zip(districts, per_district, strict=True):
        builder = _DistrictBuilder(
            district=district,
            schools=[s for s in schools if s.district_id == district.pk],
            years=sorted((y for y in years if y.district_id == district.pk), key=lambda y: y.end_year),
            n_students=n_students,
            rng=random.Random(f"{options['seed']}/enrollment/{district.state_lea_id}"),
            ids=ids,
            totals=totals,
        )
        builder.build()
        reset_queries()  # with DEBUG on, the logged inserts of a state-sized build would fill memory
        windows.append(builder.window)
        placement_years.append(builder.placement_year)
    context["application_windows"] = windows
    context["placement_years"] = placement_years
    season = [0, 0, 0, 0]  # offers, waitlist entries, accepted, declined
    for n, window in enumerate(windows):
        if window is None:
            continue
        rng = random.Random(f"{options['seed']}/choice/{window.district.state_lea_id}")
        figures = choice_season(
            window, seed=f"demo-{options['seed']}-{window.district.state_lea_id}", rng=rng, answers=n == 0
        )
        season = [a + b for a, b in zip(season, figures, strict=True)]
    waiting = work_waiting(windows[0], rng=random.Random(f"{options['seed']}/waiting")) if windows[0] else (0, 0, 0)
    t = totals
    return (
        f"{t.students} students ({t.applicants} applicants without enrollment), {t.households} households, "
        f"{t.guardians} guardians, {t.enrollments} enrollments, {t.participations} program spells, "
        f"{t.capacities} capacity rows, {t.programs} choice programs, {t.applications} applications "
        f"with {t.choices} ranked choices; final lottery: {season[0]} offers, {season[1]} waitlist entries, "
        f"{season[2]} offers accepted and {season[3]} declined; waiting in the workspace: {waiting[0]} late "
        f"applications, {waiting[1]} offers due this week, {waiting[2]} roster findings"
    )


LATE_APPLICATIONS = 12
OFFERS_DUE_SOON = 8
ROSTER_FINDINGS = 6


def work_waiting(window: ApplicationWindow, *, rng: random.Random) -> tuple[int, int, int]:
    """Work for the enrollment workspace's queues in the first district, so its demo opens on something to do.

    A late round, open now, whose applications have come in and whose
    priorities are not computed yet (applications to verify); a few offers of
    the main round made earlier, whose answers are due this week; and a few
    current students whose record disagrees with their enrollment's grade or
    lacks a race/ethnicity (roster findings). Returns the three counts.
    """
    from . import choice

    now = timezone.now()
    today = timezone.localdate()
    late = ApplicationWindow(
        district=window.district,
        name=f"Late applications {PLACEMENT_END_YEAR - 1}-{PLACEMENT_END_YEAR % 100:02d}",
        school_year=window.school_year,
        opens_at=now - datetime.timedelta(days=10),
        closes_at=now + datetime.timedelta(days=20),
        offer_deadline_days=window.offer_deadline_days,
    )
    late.full_clean()
    late.save()
    main_programs = list(window.programs.filter(grade_level="06").order_by("-seats", "code")[:3])
    programs = ChoiceProgram.objects.bulk_create(
        [
            ChoiceProgram(
                window=late,
                school_id=p.school_id,
                grade_level=p.grade_level,
                code=f"{p.code}-LATE",
                name=p.name,
                seats=max(1, p.seats // 10),
            )
            for p in main_programs
        ]
    )
    applied = Application.objects.filter(window=window).values("student_id")
    fifth_graders = list(
        Enrollment.objects.active_on(today)
        .filter(school__district=window.district, grade_level="05", is_primary=True)
        .exclude(student_id__in=applied)
        .order_by("student_id")
        .values_list("student_id", flat=True)
    )
    late_count = 0
    for student_id in sorted(rng.sample(fifth_graders, min(LATE_APPLICATIONS, len(fifth_graders)))):
        ranked = rng.sample(programs, rng.randint(1, len(programs))) if programs else []
        if ranked:
            student = Student.objects.get(pk=student_id)
            choice.application_submit(actor=None, window=late, student=student, programs=ranked)
            late_count += 1
    pending = list(
        Offer.objects.filter(run__window=window, status=c.OfferStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    soon = sorted(rng.sample(pending, min(OFFERS_DUE_SOON, len(pending))))
    for pk in soon:
        Offer.objects.filter(pk=pk).update(respond_by=today + datetime.timedelta(days=rng.randint(1, 6)))
    current = list(
        Enrollment.objects.active_on(today)
        .filter(school__district=window.district, is_primary=True)
        .exclude(grade_level__in=("PK", "12"))
        .order_by("pk")
        .values_list("student_id", "grade_level")
    )
    findings = rng.sample(current, min(ROSTER_FINDINGS, len(current)))
    for i, (student_id, grade) in enumerate(findings):
        if i % 2:  # promoted mid-year on the enrollment; the student record still holds the old grade
            previous = c.GradeLevel.values[c.GradeLevel.values.index(grade) - 1]
            Student.objects.filter(pk=student_id).update(grade_level=previous)
        else:  # the family declined to answer; the state file needs a value
            Student.objects.filter(pk=student_id).update(races="", hispanic=False, race_ethnicity="")
    return late_count, len(soon), len(findings)


def choice_season(window: ApplicationWindow, *, seed: str, rng: random.Random, answers: bool) -> tuple[int, ...]:
    """The window's final lottery, then (``answers``) a sample of its offers answered; returns the counts.

    Everything goes through the choice services as the system: priorities
    from the data, the final run with the given seed, then about one offer in
    six, at most :data:`ANSWERED_OFFERS`, answered in offer order: one in five
    declined (the seat goes down the waitlist), the others accepted (the
    student is enrolled for the placement year).
    """
    from . import choice

    choice.applicant_priorities_compute(actor=None, window=window)
    run = choice.lottery_run(actor=None, window=window, kind=c.RunKind.FINAL, seed=seed)
    offers, entries = run.summary.get("offers", 0), run.summary.get("waitlist_entries", 0)
    if not answers:
        return offers, entries, 0, 0
    pending = list(Offer.objects.filter(run=run).order_by("pk").values_list("pk", flat=True))
    # Enough answers for a figure above the small-cell threshold, even in a small build.
    sample = sorted(rng.sample(pending, min(ANSWERED_OFFERS, max(20, len(pending) // 6), len(pending))))
    accepted = declined = 0
    for pk in sample:
        offer = Offer.objects.get(pk=pk)
        if offer.status != c.OfferStatus.PENDING:
            continue
        if rng.random() < 0.2:
            choice.offer_decline(actor=None, offer=offer)
            declined += 1
        else:
            choice.offer_accept(actor=None, offer=offer)
            accepted += 1
    return offers, entries, accepted, declined


class _DistrictBuilder:
    """One district's students and everything about them, planned in memory and written in bulk."""

    def __init__(self, *, district, schools, years, n_students, rng, ids, totals):
        self.district = district
        self.schools = schools
        self.rng = rng
        self.ids = ids
        self.totals = totals
        self.n_students = n_students
        by_end = {y.end_year: y for y in years}
        self.prior, self.current = by_end[CURRENT_END_YEAR - 1], by_end[CURRENT_END_YEAR]
        self.profiles = {
            (p.school_id, p.school_year_id): p
            for p in SchoolProfile.objects.filter(school__district=district).order_by("school_id", "school_year_id")
        }
        self.grade_lists = {key: profile.grades for key, profile in self.profiles.items()}
        self.days = {
            y.pk: list(SchoolDay.objects.filter(school_year=y).order_by("date").values_list("date", flat=True))
            for y in (self.prior, self.current)
        }
        self.size = {s.pk: rng.uniform(0.7, 1.3) * SCHOOL_SIZE.get(s.school_type, 1.0) for s in schools}
        self.lat = sum(float(s.latitude or 41.7637) for s in schools) / len(schools)
        self.lon = sum(float(s.longitude or -72.6851) for s in schools) / len(schools)
        self.towns = sorted({s.city for s in schools if s.city}) or ["Hartford"]
        self.other_towns = [t for t in NEARBY_TOWNS if t not in self.towns]
        self.local_seq = itertools.count(1)
        self._offering: dict = {}
        self.applied: set[int] = set()
        self.window: ApplicationWindow | None = None
        self.placement_year: SchoolYear | None = None

    # -- the plan -----------------------------------------------------------------------------------

    def grades(self, school: School, year: SchoolYear) -> list[str]:
        """The grades ``school`` offers in ``year`` (its school profile), lowest first."""
        return self.grade_lists.get((school.pk, year.pk), [])

    def offering(self, grade: str, year: SchoolYear) -> tuple[list[School], list[float]]:
        """Schools offering ``grade`` in ``year`` and their cumulative size weights."""
        key = (grade, year.pk)
        if key not in self._offering:
            schools = [s for s in self.schools if grade in self.grades(s, year)]
            self._offering[key] = (schools, list(itertools.accumulate(self.size[s.pk] for s in schools)))
        return self._offering[key]

    def pick_school(self, grade: str, year: SchoolYear, *, besides: School | None = None) -> School | None:
        schools, cum = self.offering(grade, year)
        if besides is not None:
            others = [s for s in schools if s.pk != besides.pk]
            return self.rng.choice(others) if others else None
        return self.rng.choices(schools, cum_weights=cum)[0] if schools else None

    def school_day(self, year: SchoolYear, after: datetime.date, before: datetime.date) -> datetime.date | None:
        """A random instructional day strictly between ``after`` and ``before``."""
        days = self.days[year.pk]
        lo, hi = bisect.bisect_right(days, after), bisect.bisect_left(days, before)
        return days[self.rng.randrange(lo, hi)] if hi > lo else None

    def choice_offer(self) -> list[tuple[School, str]]:
        """The (school, entry grade) pairs families can choose for 2027-28.

        Every entry grade of a magnet school, technical high schools' grade 9,
        charter schools' kindergarten, and a few open-choice seats at
        neighborhood schools.
        """
        pairs, open_choice = [], dict(OPEN_CHOICE)
        for school in self.schools:
            kind = school.school_type
            for grade in ENTRY_GRADES:
                if grade not in self.grades(school, self.current):
                    continue
                chosen = kind == SchoolType.MAGNET or (kind, grade) in REGIONAL_ENTRY
                if not chosen and kind == SchoolType.NEIGHBORHOOD and open_choice.get(grade, 0) > 0:
                    open_choice[grade] -= 1
                    chosen = True
                if chosen:
                    pairs.append((school, grade))
        return pairs

    def plan(self, offer: list[tuple[School, str]]) -> list[Kid]:
        """Every student of the district: current ones by school and grade, last year's leavers, applicants."""
        rng, n = self.rng, self.n_students
        offered_grades = sorted({grade for _, grade in offer}, key=K12.index)
        n_outside = round(0.04 * n) if offer else 0
        n_prospect = round(0.015 * n) if "PK" in offered_grades else 0
        n_leaver = round(0.015 * n)
        rest = max(0, n - n_outside - n_prospect - n_leaver)

        # Cohorts by grade (this year's grades, and last year's graduates), then schools by size.
        cohorts = [(g, self.current) for g in GRADE_SIZE if self.offering(g, self.current)[0]]
        if self.offering("12", self.prior)[0]:
            cohorts.append((GRADUATED, self.prior))
        sizes = _apportion(rest, [GRADE_SIZE.get(g, 0.86) for g, _ in cohorts])
        kids: list[Kid] = []
        for (grade, year), cohort in zip(cohorts, sizes, strict=True):
            schools, _ = self.offering("12" if grade == GRADUATED else grade, year)
            for school, count in zip(schools, _apportion(cohort, [self.size[s.pk] for s in schools]), strict=True):
                for _ in range(count):
                    kids.append(self.graduate(school) if grade == GRADUATED else self.current_kid(school, grade))
        kids.extend(kid for kid in (self.leaver() for _ in range(n_leaver)) if kid is not None)
        kids.extend(self.applicant("prospect", "PK") for _ in range(n_prospect))
        if n_outside:
            weights = [3 if g in ("06", "09") else 2 for g in offered_grades]
            kids.extend(self.applicant("outside", g) for g in rng.choices(offered_grades, weights=weights, k=n_outside))
        return kids

    def current_kid(self, school: School, grade: str) -> Kid:
        """A student in ``grade`` at ``school`` in 2026-27, with how they got there."""
        rng, prior = self.rng, self.prior
        index = GRADE_INDEX[grade] if grade != "UG" else rng.randint(9, 13)
        kid = Kid("current", grade, school, index, CURRENT_END_YEAR)
        start, year_end_exit = prior.start_date, prior.end_date + datetime.timedelta(days=1)
        roll = rng.random()
        before = K12[K12.index(grade) - 1] if grade in K12[1:] else None
        new_to_district = (
            grade == "PK" or (grade == "KG" and roll < 0.45) or (grade not in ("PK", "KG") and roll < 0.05)
        )
        entry_code = c.EntryCode.TRANSFER_IN_DISTRICT
        if grade == "UG":
            if roll < 0.6:
                kid.spells.append(Spell(school, prior, "UG", start, entry_code, year_end_exit, c.ExitCode.PROMOTED))
            else:
                entry_code = c.EntryCode.TRANSFER_FROM_OUT
        elif new_to_district:
            entry_code = (
                c.EntryCode.NEW if grade in ("PK", "KG") or rng.random() < 0.3 else c.EntryCode.TRANSFER_FROM_OUT
            )
        else:
            retained = grade != "KG" and rng.random() < 0.015
            last_grade = grade if retained else before
            if retained:
                kid.grade_index += 1
            if last_grade in self.grades(school, prior) and rng.random() < 0.97:
                last_school = school
            else:
                last_school = self.pick_school(last_grade, prior)
            if last_school is None:
                entry_code = c.EntryCode.NEW if grade == "KG" else c.EntryCode.TRANSFER_FROM_OUT
            else:
                self.prior_year(kid, last_school, last_grade, returning=roll > 0.99)
                if kid.spells[-1].exit_code == c.ExitCode.MOVED_UNKNOWN:
                    entry_code = c.EntryCode.RETURN
                elif last_school.pk != school.pk and school.school_type == SchoolType.MAGNET and grade in ENTRY_GRADES:
                    entry_code = c.EntryCode.CHOICE
        self.current_year(kid, school, grade, entry_code)
        return kid

    def prior_year(self, kid: Kid, school: School, grade: str, *, returning: bool) -> None:
        """2025-26: a late entry now and then, a mid-year transfer or withdrawal, then the year-end exit."""
        rng, year = self.rng, self.prior
        year_end_exit = year.end_date + datetime.timedelta(days=1)
        entry, code = year.start_date, c.EntryCode.TRANSFER_IN_DISTRICT
        if grade in ("PK", "KG"):
            code = c.EntryCode.NEW
        if rng.random() < 0.06:
            entry = self.school_day(year, year.start_date, datetime.date(2026, 5, 1)) or entry
            code = c.EntryCode.NEW if rng.random() < 0.4 else c.EntryCode.TRANSFER_FROM_OUT
        if returning:
            left = self.school_day(year, entry, year.end_date) or year.end_date
            kid.spells.append(Spell(school, year, grade, entry, code, left, c.ExitCode.MOVED_UNKNOWN))
            return
        if rng.random() < 0.025:
            first = self.pick_school(grade, year, besides=school)
            moved = self.school_day(year, entry, year.end_date)
            if first is not None and moved is not None:
                kid.spells.append(Spell(first, year, grade, entry, code, moved, c.ExitCode.TRANSFER_IN_DISTRICT))
                entry, code = moved, c.EntryCode.TRANSFER_IN_DISTRICT
        kid.spells.append(Spell(school, year, grade, entry, code, year_end_exit, c.ExitCode.PROMOTED))

    def current_year(self, kid: Kid, school: School, grade: str, entry_code: str) -> None:
        """2026-27 so far: most enrolled since the first day; a few late entries, transfers and withdrawals."""
        rng, year = self.rng, self.current
        entry = year.start_date
        arrived = entry_code in (c.EntryCode.NEW, c.EntryCode.TRANSFER_FROM_OUT)
        if arrived and rng.random() < (0.03 if grade in ("PK", "KG") else 0.3):
            entry = self.school_day(year, year.start_date, TODAY) or entry
        spell = Spell(school, year, grade, entry, entry_code)
        kid.spells.append(spell)
        roll = rng.random()
        if roll < 0.012:
            left = self.school_day(year, entry, TODAY)
            if left is not None:
                spell.exit = left
                if grade in ("10", "11", "12", "UG") and rng.random() < 0.25:
                    spell.exit_code = c.ExitCode.DROPPED_OUT
                else:
                    spell.exit_code = rng.choice([c.ExitCode.TRANSFER_OUT] * 2 + [c.ExitCode.MOVED_UNKNOWN])
        elif roll < 0.024:
            moved = self.school_day(year, entry, TODAY)
            other = self.pick_school(grade, year, besides=school)
            if moved is not None and other is not None:
                spell.exit, spell.exit_code = moved, c.ExitCode.TRANSFER_IN_DISTRICT
                kid.spells.append(Spell(other, year, grade, moved, c.EntryCode.TRANSFER_IN_DISTRICT))
                kid.school = other
        elif grade in ("11", "12") and roll > 0.97:
            schools, _ = self.offering(grade, year)
            partners = [s for s in schools if s.pk != school.pk]
            technical = [s for s in partners if s.school_type == SchoolType.TECHNICAL]
            if technical or partners:
                partner = rng.choice(technical or partners)
                kid.spells.append(Spell(partner, year, grade, entry, c.EntryCode.TRANSFER_IN_DISTRICT, primary=False))

    def graduate(self, school: School) -> Kid:
        """A senior who graduated in June 2026."""
        kid = Kid("graduate", "12", school, 12, CURRENT_END_YEAR - 1)
        year = self.prior
        exit_ = year.end_date + datetime.timedelta(days=1)
        kid.spells.append(
            Spell(school, year, "12", year.start_date, c.EntryCode.TRANSFER_IN_DISTRICT, exit_, c.ExitCode.GRADUATED)
        )
        return kid

    def leaver(self) -> Kid | None:
        """A student who left the district during 2025-26."""
        rng, year = self.rng, self.prior
        grades = [g for g in K12 if self.offering(g, year)[0]]
        if not grades:
            return None
        grade = rng.choice(grades)
        school = self.pick_school(grade, year)
        kid = Kid("leaver", grade, school, GRADE_INDEX[grade], CURRENT_END_YEAR - 1)
        code = c.EntryCode.NEW if grade in ("PK", "KG") else c.EntryCode.TRANSFER_IN_DISTRICT
        left = self.school_day(year, year.start_date, year.end_date) or year.end_date
        if grade in ("10", "11", "12") and rng.random() < 0.2:
            reason = c.ExitCode.DROPPED_OUT
        else:
            reason = c.ExitCode.TRANSFER_OUT if rng.random() < 0.6 else c.ExitCode.MOVED_UNKNOWN
        kid.spells.append(Spell(school, year, grade, year.start_date, code, left, reason))
        return kid

    def applicant(self, kind: str, applies_to: str) -> Kid:
        """A prospective student with no enrollment: a three-year-old here, or a child in another district."""
        grade = PREVIOUS.get(applies_to, "PK")
        index = GRADE_INDEX[applies_to] - 1
        kid = Kid(kind, grade, None, index, CURRENT_END_YEAR)
        kid.applies_to = applies_to
        return kid

    # -- people -------------------------------------------------------------------------------------

    def households(self, kids: list[Kid]) -> list[list[Kid]]:
        """Siblings share a household: 1 to 4 children, seldom two in the same grade.

        Families who left the district last year are grouped among themselves,
        and applicants from other districts each have their own.
        """
        rng = self.rng
        sizes, cum = SIZE_PICK
        groups = []
        for kinds in (("current", "graduate", "prospect"), ("leaver",)):
            members = [k for k in kids if k.kind in kinds]
            rng.shuffle(members)
            pending = collections.deque(members)
            while pending:
                size = rng.choices(sizes, cum_weights=cum)[0]
                group, passed = [pending.popleft()], []
                while len(group) < size and pending and len(passed) < 8:
                    kid = pending.popleft()
                    twins = any(k.grade_index == kid.grade_index for k in group)
                    (passed if twins and rng.random() > 0.05 else group).append(kid)
                pending.extendleft(reversed(passed))
                groups.append(group)
        groups.extend([k] for k in kids if k.kind == "outside")
        for group in groups:
            for kid in group:
                kid.household = group
        return groups

    def people(self, groups: list[list[Kid]]) -> tuple[list[Household], list[Guardian], list[Student]]:
        """Each household's origin, language, name, address and guardians; then its children's records."""
        rng = self.rng
        households, guardians, students = [], [], []
        for group in groups:
            ethnicity = rng.choices(ETHNICITY_PICK[0], cum_weights=ETHNICITY_PICK[1])[0]
            language = rng.choices(LANGUAGE_PICK[ethnicity][0], cum_weights=LANGUAGE_PICK[ethnicity][1])[0]
            pool = LANGUAGE_NAMES.get(language) or ENGLISH_NAMES.get(ethnicity)
            if pool is None:  # English-speaking Asian families
                pool = rng.choice(["south_asian", "vietnamese", "chinese", "himalayan"])
            female, male, family = NAMES[pool]
            last = rng.choice(family)
            if pool == "hispanic" and rng.random() < 0.15:
                last = f"{last} {rng.choice(family)}"
            races = self.races(ethnicity)
            outside = group[0].kind == "outside"
            town, street, zip_code, lat, lon = self.address(group[0], outside)
            household = Household(
                district=self.district,
                name=f"{last} household",
                street=street,
                town=town,
                zip_code=zip_code,
                preferred_language=language,
            )
            households.append(household)
            contact = len(guardians)
            for n, relation_pick in enumerate(GUARDIAN_PICK[: 1 if rng.random() < 0.45 else 2]):
                relation = rng.choices(relation_pick[0], cum_weights=relation_pick[1])[0]
                first = rng.choice(female if relation in FEMALE_RELATIONS else male)
                guardian_last = last if rng.random() < 0.8 else rng.choice(family)
                phone = f"{rng.choice(['860', '959'])}-555-{rng.randrange(10000):04d}"
                email = f"{_ascii(first)}.{_ascii(guardian_last)}{rng.randrange(100)}@example.net"
                guardians.append(
                    Guardian(
                        household=household,
                        first_name=first,
                        last_name=guardian_last,
                        relationship=relation,
                        phone=phone,
                        email=email if rng.random() < 0.85 else "",
                        preferred_language=language if rng.random() < 0.9 else "English",
                        is_primary_contact=n == 0,
                    )
                )
            household.phone, household.email = guardians[contact].phone, guardians[contact].email
            for kid in group:
                sex = "X" if rng.random() < 0.004 else ("M" if rng.random() < 0.507 else "F")
                given = female if sex == "F" or (sex == "X" and rng.random() < 0.5) else male
                born_from, born_to = _birth_window(kid.grade_index, kid.end_year)
                born = born_from + datetime.timedelta(days=rng.randrange((born_to - born_from).days + 1))
                student = Student(
                    district=self.district,
                    state_id=None if kid.kind in ("prospect", "outside") else self.ids.state_id(rng),
                    local_id="" if not kid.spells else f"{self.district.state_lea_id}{next(self.local_seq):06d}",
                    legal_first_name=rng.choice(given),
                    legal_middle_name=rng.choice(given) if rng.random() < 0.4 else "",
                    legal_last_name=last,
                    preferred_name=rng.choice(given) if rng.random() < 0.05 else "",
                    birth_date=born,
                    sex=sex,
                    hispanic=ethnicity == "HI7",
                    races=races,
                    race_ethnicity=federal_race_ethnicity(ethnicity == "HI7", races.split()),
                    grade_level=kid.grade,
                    home_language=language,
                    directory_opt_out=rng.random() < 0.04,
                    household=household,
                    street=street,
                    resident_town=town,
                    latitude=lat,
                    longitude=lon,
                )
                kid.student = student
                students.append(student)
        return households, guardians, students

    def races(self, ethnicity: str) -> str:
        """The federal race codes behind a household's race/ethnicity (Hispanic families carry races too)."""
        if ethnicity in RACE_PICK:
            values, cum = RACE_PICK[ethnicity]
            return self.rng.choices(values, cum_weights=cum)[0]
        return ethnicity

    def address(self, kid: Kid, outside: bool):
        """Town, street, ZIP and coordinates: near the child's school, or in a town nearby for applicants from away."""
        rng = self.rng
        if outside:
            angle, distance = rng.uniform(0, 2 * math.pi), rng.uniform(0.07, 0.2)
            lat, lon = self.lat + distance * math.sin(angle), self.lon + distance * math.cos(angle) * 1.3
            town = rng.choice(self.other_towns) if self.other_towns else "Manchester"
        else:
            school = kid.school
            if school is not None and school.latitude is not None:
                lat, lon = float(school.latitude), float(school.longitude)
            else:
                lat, lon = self.lat, self.lon
            lat, lon = lat + rng.gauss(0, 0.012), lon + rng.gauss(0, 0.016)
            town = rng.choice(self.towns)
        zips = TOWN_ZIPS.get(town) or [f"06{zlib.crc32(town.encode()) % 900 + 10:03d}"]
        street = f"{rng.randint(1, 1299)} {rng.choice(STREETS)}"
        if rng.random() < 0.3:
            street += f", Apt {rng.randint(1, 40)}"
        return town, street, rng.choice(zips), Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")

    # -- programs -----------------------------------------------------------------------------------

    def participations(self, groups: list[list[Kid]]) -> list[ProgramParticipation]:
        """Dated spells: English learner, IDEA, Section 504, and meal eligibility (decided per household)."""
        rng, rows = self.rng, []
        for group in groups:
            students = [k for k in group if k.spells]
            if not students:
                continue
            ethnicity = students[0].student.race_ethnicity
            eligible = rng.random() < MEAL_RATE.get(ethnicity, 0.7)
            direct = rng.random() < 0.6
            status = c.MealStatus.FREE if direct or rng.random() < 0.75 else c.MealStatus.REDUCED
            change = rng.random()
            for kid in students:
                rows.extend(self.kid_programs(kid, eligible, direct, status, change))
        return rows

    def kid_programs(self, kid: Kid, eligible: bool, direct: bool, status: str, change: float):
        rng, prior, current = self.rng, self.prior, self.current
        student = kid.student
        primary = [s for s in kid.spells if s.primary]
        first, last_exit = primary[0].entry, primary[-1].exit
        continuing = first == prior.start_date and primary[0].entry_code == c.EntryCode.TRANSFER_IN_DISTRICT
        reclassified = prior.end_date + datetime.timedelta(days=1)
        rows = []

        def spell(program, start, end=None, **meals):
            if end is not None and end <= start:
                start = min(first, end - datetime.timedelta(days=1))
            rows.append(
                ProgramParticipation(
                    student_id=student.pk,
                    program=program,
                    data_class=c.PROGRAM_CLASS[program],
                    start_date=start,
                    end_date=end,
                    **meals,
                )
            )

        def began() -> datetime.date:
            if continuing:
                return first - datetime.timedelta(days=rng.randint(60, 365 * max(1, min(5, kid.grade_index))))
            return first + datetime.timedelta(days=rng.randint(0, 20))

        def ended(start: datetime.date, share: float) -> datetime.date | None:
            """The spell ends when the student leaves, or during this year for ``share`` of students."""
            if rng.random() < share:
                cut = self.school_day(current, max(start, current.start_date), last_exit or TODAY)
                if cut is not None:
                    return cut
            return last_exit

        english = student.home_language == "English"
        if rng.random() < (0.025 if english else 0.58):
            start, roll = began(), rng.random()
            if roll < 0.1 and (last_exit is None or last_exit > reclassified) and start < reclassified:
                end = reclassified  # reclassified fluent after the spring test
            else:
                end = ended(start, 0.04)
            spell(c.Program.ENGLISH_LEARNER, start, end)
        idea_rate = {"M": 0.22, "F": 0.115}.get(student.sex, 0.17)
        if kid.grade == "UG" or primary[-1].school.school_type == SchoolType.ALTERNATIVE:
            idea_rate *= 1.6
        if rng.random() < idea_rate:
            start = began()
            spell(c.Program.IDEA, start, ended(start, 0.05))
        elif rng.random() < 0.045:
            start = began()
            spell(c.Program.SECTION_504, start, ended(start, 0.05))

        for year in (prior, current):
            spells = [s for s in primary if s.year.pk == year.pk]
            if not spells:
                continue
            start, end = spells[0].entry, spells[-1].exit
            profile = self.profiles.get((spells[0].school.pk, year.pk))
            cep = profile is not None and profile.nslp_status == NslpStatus.CEP
            if eligible:
                if direct:
                    source, level = c.MealSource.DIRECT_CERTIFICATION, c.MealStatus.FREE
                elif cep:
                    source, level = c.MealSource.COMMUNITY_ELIGIBILITY, c.MealStatus.FREE
                else:
                    source, level = c.MealSource.APPLICATION, status
                if year is prior and not direct and change < 0.06:  # lost on verification
                    end = self.school_day(year, start, end or year.end_date) or end
                spell(c.Program.MEALS, start, end, meal_status=level, meal_source=source)
            elif year is current and change < 0.05:  # an application approved during the year
                approved = self.school_day(year, start, end or TODAY)
                if approved is not None:
                    spell(c.Program.MEALS, approved, end, meal_status=status, meal_source=c.MealSource.APPLICATION)
        return rows

    # -- capacity -----------------------------------------------------------------------------------

    def capacity(self) -> list[SchoolCapacity]:
        """Seats per school, grade and year, sized from October 1 membership for 70% to 115% utilization."""
        rng, rows = self.rng, []
        target = {}
        for school in self.schools:
            roll = rng.random()
            target[school.pk] = (
                rng.uniform(1.02, 1.15)
                if roll < 0.1
                else rng.uniform(0.70, 0.78)
                if roll < 0.2
                else rng.uniform(0.8, 1.0)
            )
        for year in (self.prior, self.current):
            day = datetime.date(year.end_year - 1, 10, 1)
            counts = {
                (row["school"], row["grade_level"]): row["students"]
                for row in Enrollment.objects.filter(school__district=self.district, school_year=year).membership(day)
            }
            for school in self.schools:
                for grade in self.grades(school, year):
                    enrolled = counts.get((school.pk, grade), 0)
                    if enrolled:
                        rate = min(1.15, max(0.70, target[school.pk] * rng.uniform(0.97, 1.03)))
                        seats = min(max(round(enrolled / rate), math.ceil(enrolled / 1.15)), int(enrolled / 0.70))
                    else:
                        seats = rng.randint(15, 25)
                    rows.append(
                        SchoolCapacity(school_id=school.pk, school_year_id=year.pk, grade_level=grade, seats=seats)
                    )
        return rows

    # -- the choice round ---------------------------------------------------------------------------

    def placement(self, current_seats: dict) -> SchoolYear:
        """The 2027-28 school year: calendar, school profiles as this year, and seats as this year."""
        year = SchoolYear(
            district=self.district, end_year=PLACEMENT_END_YEAR, start_date=PLACEMENT_START, end_date=PLACEMENT_END
        )
        SchoolYear.objects.bulk_create([year])
        closed = _closed_dates(PLACEMENT_END_YEAR)
        SchoolDay.objects.bulk_create(
            [SchoolDay(school_year=year, date=d) for d in instructional_dates(year.start_date, year.end_date, closed)],
            batch_size=BATCH,
        )
        profiles = []
        for school in self.schools:
            profile = self.profiles.get((school.pk, self.current.pk))
            if profile is not None:
                profiles.append(
                    SchoolProfile(
                        school_id=school.pk,
                        school_year=year,
                        grades_offered=profile.grades_offered,
                        title_i_status=profile.title_i_status,
                        nslp_status=profile.nslp_status,
                        virtual_status=profile.virtual_status,
                        shared_time=profile.shared_time,
                    )
                )
        SchoolProfile.objects.bulk_create(profiles, batch_size=BATCH)
        SchoolCapacity.objects.bulk_create(
            [
                SchoolCapacity(school_id=school_id, school_year=year, grade_level=grade, seats=seats)
                for (school_id, grade), seats in current_seats.items()
            ],
            batch_size=BATCH,
        )
        self.totals.capacities += len(current_seats)
        return year

    def choice_round(self, offer: list[tuple[School, str]], current_seats: dict, kids: list[Kid]) -> None:
        """A closed window for 2027-28: programs with set-asides and ranked applications (no lottery yet)."""
        rng = self.rng
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        year = self.placement(current_seats)
        window = ApplicationWindow(
            district=self.district,
            name=f"School choice {PLACEMENT_END_YEAR - 1}-{PLACEMENT_END_YEAR % 100:02d}",
            school_year=year,
            opens_at=WINDOW_OPENS.replace(tzinfo=tz),
            closes_at=WINDOW_CLOSES.replace(tzinfo=tz),
            offer_deadline_days=14,
        )
        ApplicationWindow.objects.bulk_create([window])
        self.window, self.placement_year = window, year

        programs, categories, popularity = [], [], {}
        for school, grade in offer:
            regional = school.school_type in REGIONAL_TYPES
            lowest = self.grades(school, self.current)[0] == grade
            share = (0.95 if lowest else 0.15) if regional else 0.12
            seats = max(2, round(current_seats.get((school.pk, grade), 20) * share))
            program = ChoiceProgram(
                window=window,
                school_id=school.pk,
                grade_level=grade,
                code=f"{school.state_school_id}-{grade}",
                name=f"{school.name}, {GRADE_NAMES.get(grade, grade)}",
                seats=seats,
            )
            program.school_ref = school
            programs.append(program)
            popularity[program.code] = rng.lognormvariate(0.0, 0.8) * (
                1.8 if school.school_type == SchoolType.MAGNET else 1.0
            )
        ChoiceProgram.objects.bulk_create(programs, batch_size=BATCH)
        for program in programs:
            if program.seats >= 8:
                siblings = max(1, round(0.15 * program.seats))
                categories.append(
                    SeatCategory(program=program, name="Siblings", seats=siblings, fill_order=1,
                                 eligibility=c.PriorityKind.SIBLING)
                )  # fmt: skip
                if program.school_ref.school_type in REGIONAL_TYPES:
                    categories.append(
                        SeatCategory(program=program, name="District residents", seats=round(0.4 * program.seats),
                                     fill_order=2, eligibility=c.PriorityKind.RESIDENT)
                    )  # fmt: skip
        SeatCategory.objects.bulk_create(categories, batch_size=BATCH)
        self.totals.programs += len(programs)

        by_grade: dict[str, list[ChoiceProgram]] = {}
        for program in programs:
            by_grade.setdefault(program.grade_level, []).append(program)
        applications, ranked = [], []
        span = (window.closes_at - window.opens_at).total_seconds()
        for kid in kids:
            target = self.target_grade(kid)
            candidates = by_grade.get(target) if target else None
            if not candidates:
                continue
            if kid.kind == "outside":
                candidates = [p for p in candidates if p.school_ref.school_type in REGIONAL_TYPES] or candidates
            sibling_schools = {k.school.pk for k in kid.household if k is not kid and k.kind == "current" and k.school}
            lat, lon = float(kid.student.latitude), float(kid.student.longitude)
            keys = []
            for program in candidates:
                school = program.school_ref
                distance = math.hypot(
                    lat - float(school.latitude or self.lat), 0.75 * (lon - float(school.longitude or self.lon))
                )
                weight = popularity[program.code] / (1.0 + (distance / 0.04) ** 2)
                if school.pk in sibling_schools:
                    weight *= 6.0
                keys.append(rng.random() ** (1.0 / weight))
            order = sorted(range(len(candidates)), key=lambda i: -keys[i])[: self.list_length(len(candidates))]
            submitted = window.opens_at + datetime.timedelta(seconds=span * max(rng.random(), rng.random()))
            status = c.ApplicationStatus.WITHDRAWN if rng.random() < 0.015 else c.ApplicationStatus.SUBMITTED
            applications.append(
                Application(window=window, student_id=kid.student.pk, submitted_at=submitted, status=status)
            )
            ranked.append([candidates[i] for i in order])
        Application.objects.bulk_create(applications, batch_size=BATCH)
        ApplicationChoice.objects.bulk_create(
            [
                ApplicationChoice(application_id=application.pk, program_id=program.pk, rank=rank)
                for application, programs_ in zip(applications, ranked, strict=True)
                for rank, program in enumerate(programs_, start=1)
            ],
            batch_size=BATCH,
        )
        self.totals.applications += len(applications)
        self.totals.choices += sum(len(r) for r in ranked)
        self.applied = {a.student_id for a in applications}

    def target_grade(self, kid: Kid) -> str:
        """The entry grade a child applies for, or "" (30% of this year's PK, 05 and 08 students apply)."""
        if kid.kind in ("prospect", "outside"):
            return kid.applies_to
        if kid.kind != "current" or kid.grade not in ("PK", "05", "08") or kid.spells[-1].exit is not None:
            return ""
        return K12[K12.index(kid.grade) + 1] if self.rng.random() < 0.3 else ""

    def list_length(self, available: int) -> int:
        """How many programs a family ranks: often one to three, sometimes all twelve."""
        roll = self.rng.random()
        if roll < 0.25:
            length = 1
        elif roll < 0.45:
            length = 2
        elif roll < 0.6:
            length = 3
        elif roll < 0.85:
            length = self.rng.randint(4, 6)
        elif roll < 0.95:
            length = self.rng.randint(7, 11)
        else:
            length = 12
        return min(length, available)

    # -- putting it together ------------------------------------------------------------------------

    def build(self) -> None:
        offer = self.choice_offer()
        kids = self.plan(offer)
        groups = self.households(kids)
        households, guardians, students = self.people(groups)
        Household.objects.bulk_create(households, batch_size=BATCH)
        Guardian.objects.bulk_create(guardians, batch_size=BATCH)
        Student.objects.bulk_create(students, batch_size=BATCH)

        enrollments = [
            Enrollment(
                student_id=kid.student.pk,
                school_id=s.school.pk,
                school_year_id=s.year.pk,
                grade_level=s.grade,
                entry_date=s.entry,
                entry_code=s.entry_code,
                exit_date=s.exit,
                exit_code=s.exit_code,
                is_primary=s.primary,
            )
            for kid in kids
            for s in kid.spells
        ]
        Enrollment.objects.bulk_create(enrollments, batch_size=BATCH)
        participations = self.participations(groups)
        ProgramParticipation.objects.bulk_create(participations, batch_size=BATCH)
        capacities = self.capacity()
        SchoolCapacity.objects.bulk_create(capacities, batch_size=BATCH)
        current_seats = {
            (r.school_id, r.grade_level): r.seats for r in capacities if r.school_year_id == self.current.pk
        }
        self.choice_round(offer, current_seats, kids)

        lea = self.district.state_lea_id
        district_id = self.district.pk
        external = []
        for n, kid in enumerate(kids, start=1):
            pk = kid.student.pk
            if kid.spells and self.rng.random() < 0.96:
                external.append(
                    StudentExternalId(
                        student_id=pk,
                        district_id=district_id,
                        source=c.ExternalSource.SIS,
                        external_id=f"{lea}-{n:07d}",
                    )
                )
            if pk in self.applied:
                external.append(
                    StudentExternalId(
                        student_id=pk,
                        district_id=district_id,
                        source=c.ExternalSource.LOTTERY,
                        external_id=f"RL{PLACEMENT_END_YEAR % 100}-{lea}-{n:07d}",
                    )
                )
            if kid.kind == "outside" and self.rng.random() < 0.6:
                external.append(
                    StudentExternalId(
                        student_id=pk,
                        district_id=district_id,
                        source=c.ExternalSource.OTHER_DISTRICT,
                        external_id=f"OD-{lea}-{n:07d}",
                    )
                )
        StudentExternalId.objects.bulk_create(external, batch_size=BATCH)

        t = self.totals
        t.students += len(students)
        t.applicants += sum(1 for k in kids if not k.spells)
        t.households += len(households)
        t.guardians += len(guardians)
        t.enrollments += len(enrollments)
        t.participations += len(participations)
        t.capacities += len(capacities)
