"""A realistic, deterministic demo district (or a state of many), built from a seed.

``build_demo(districts=1, schools=40, seed=2026)`` makes an urban Connecticut
district of about 40 schools of several types, two school years with their
instructional calendars, per-year school profiles, the seven departments, and
staff of every role with known logins. ``districts=30, schools=1000`` makes a
state-sized data set for benchmarks. The same seed always gives the same data.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from core.choices import Role
from core.models import User

from .choices import DepartmentCode, NslpStatus, SchoolType, TitleIStatus, VirtualStatus
from .models import Department, District, RoleAssignment, School, SchoolDay, SchoolProfile, SchoolYear
from .services import instructional_dates

NAMES = [
    "Lincoln",
    "Washington",
    "Jefferson",
    "Roosevelt",
    "Kennedy",
    "Franklin",
    "Adams",
    "Madison",
    "Hamilton",
    "Douglass",
    "Tubman",
    "Parks",
    "Carver",
    "Dunbar",
    "Whitney",
    "Webster",
    "Stowe",
    "Twain",
    "Bushnell",
    "Hooker",
    "Wolcott",
    "Trumbull",
    "Sheldon",
    "Burr",
    "Clark",
    "Naylor",
    "Kinsella",
    "Rawson",
    "Batchelder",
    "Moylan",
    "Fox",
    "Milner",
    "Sanchez",
    "Betances",
    "Burns",
    "Dwight",
    "Hooker Park",
    "Riverside",
    "Capitol",
    "Asian Studies",
    "Montessori",
    "Bulkeley",
    "Weaver",
    "Pope Park",
    "Elmwood",
    "Oak Hill",
    "Maple Grove",
    "Cedar Ridge",
    "Willow Brook",
    "Spring Street",
]
STREETS = ["Main", "Park", "Broad", "Albany", "Zion", "Wethersfield"]
TOWNS = ["Hartford", "West Hartford", "East Hartford", "Wethersfield", "Windsor", "Bloomfield", "Newington"]
# (type, name suffix, grades, share of schools)
PROFILES = [
    (SchoolType.NEIGHBORHOOD, "Elementary School", "PK KG 01 02 03 04 05", 0.45),
    (SchoolType.NEIGHBORHOOD, "Middle School", "06 07 08", 0.15),
    (SchoolType.NEIGHBORHOOD, "High School", "09 10 11 12", 0.10),
    (SchoolType.MAGNET, "Magnet School", "PK KG 01 02 03 04 05 06 07 08", 0.15),
    (SchoolType.MAGNET, "Magnet Academy", "06 07 08 09 10 11 12", 0.05),
    (SchoolType.TECHNICAL, "Technical High School", "09 10 11 12", 0.04),
    (SchoolType.ALTERNATIVE, "Academy", "09 10 11 12 UG", 0.03),
    (SchoolType.CHARTER, "Charter School", "KG 01 02 03 04 05 06 07 08", 0.03),
]
DEPT_SHORT = {
    DepartmentCode.ENROLLMENT: "enrollment",
    DepartmentCode.TRANSPORTATION: "transport",
    DepartmentCode.FACILITIES: "facilities",
    DepartmentCode.NUTRITION: "nutrition",
    DepartmentCode.ATHLETICS: "athletics",
    DepartmentCode.COMMUNICATIONS: "communications",
    DepartmentCode.REPORTING: "reporting",
    DepartmentCode.OPERATIONS: "operations",
}


@dataclass
class DemoResult:
    districts: int
    schools: int
    users: int
    logins: list[tuple[str, str]]


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower().replace(" ", "_") if ch.isalnum() or ch == "_")


def _year(district: District, end_year: int) -> SchoolYear:
    return SchoolYear(
        district=district,
        end_year=end_year,
        start_date=datetime.date(end_year - 1, 8, 27),
        end_date=datetime.date(end_year, 6, 11),
    )


def _closed_dates(end_year: int) -> list[datetime.date]:
    y0, y1 = end_year - 1, end_year
    fixed = [
        datetime.date(y0, 9, 1),
        datetime.date(y0, 10, 13),
        datetime.date(y0, 11, 11),
        datetime.date(y0, 11, 26),
        datetime.date(y0, 11, 27),
        *[datetime.date(y0, 12, d) for d in range(22, 32)],
        datetime.date(y1, 1, 1),
        datetime.date(y1, 1, 2),
        datetime.date(y1, 1, 19),
        datetime.date(y1, 2, 16),
        datetime.date(y1, 2, 17),
        *[datetime.date(y1, 4, d) for d in range(12, 17)],
        datetime.date(y1, 5, 25),
    ]
    return fixed


def build(*, options: dict, context: dict) -> str:
    """The demo-data hook (see core's seed_demo command)."""
    result = build_demo(districts=options["districts"], schools=options["schools"], seed=options["seed"])
    context["districts"] = list(District.objects.order_by("pk"))
    context["schools"] = list(School.objects.order_by("pk"))
    context["years"] = list(SchoolYear.objects.order_by("pk"))
    return f"{result.districts} district(s), {result.schools} schools, {result.users} users"


@transaction.atomic
def build_demo(*, districts: int = 1, schools: int = 40, seed: int = 2026, current_end_year: int = 2027) -> DemoResult:
    rng = random.Random(seed)
    password = make_password(settings.OPS_DEMO_PASSWORD)
    logins: list[tuple[str, str]] = []
    users: list[User] = []
    assignments: list[tuple[RoleAssignment, list[School]]] = []

    def user(username: str, first: str, last: str, **extra) -> User:
        u = User(
            username=username,
            first_name=first,
            last_name=last,
            password=password,
            email=f"{username}@example.org",
            **extra,
        )
        users.append(u)
        return u

    all_schools: list[School] = []
    district_rows: list[District] = []
    per_district = [schools // districts + (1 if i < schools % districts else 0) for i in range(districts)]
    for d_index in range(districts):
        town = TOWNS[d_index % len(TOWNS)] if districts <= len(TOWNS) else f"Town {d_index + 1:03d}"
        name = "Capitol City Public Schools" if d_index == 0 else f"{town} Public Schools"
        district = District.objects.create(
            name=name, state_lea_id=f"{640 + d_index:03d}", nces_id=f"09{d_index + 1:05d}", state="CT", fips_code="09"
        )
        district_rows.append(district)
        weights = [p[3] for p in PROFILES]
        used_names: set[str] = set()
        for s_index in range(per_district[d_index]):
            if s_index == 0:
                profile = PROFILES[0]
            elif s_index == 1:
                profile = PROFILES[1]
            else:
                profile = rng.choices(PROFILES, weights=weights)[0]
            base = NAMES[s_index % len(NAMES)]
            school_name = f"{base} {profile[1]}"
            if school_name in used_names:
                school_name = f"{base} {profile[1]} {s_index // len(NAMES) + 1}"
            used_names.add(school_name)
            lat = Decimal("41.7637") + Decimal(rng.randint(-600, 600)) / 10000
            lon = Decimal("-72.6851") + Decimal(rng.randint(-800, 800)) / 10000
            school = School(
                district=district,
                name=school_name,
                state_school_id=f"{640 + d_index:03d}{s_index + 11:04d}",
                nces_id=f"09{d_index + 1:05d}{s_index + 1:05d}",
                school_type=profile[0],
                street=f"{rng.randint(10, 990)} {rng.choice(STREETS)} Street",
                city=town if d_index else "Hartford",
                zip_code=f"061{rng.randint(0, 99):02d}",
                latitude=lat,
                longitude=lon,
                phone=f"860-555-{rng.randint(1000, 9999)}",
            )
            school._profile = profile
            all_schools.append(school)
    School.objects.bulk_create(all_schools, batch_size=1000)

    years = []
    for district in district_rows:
        for end_year in (current_end_year - 1, current_end_year):
            years.append(_year(district, end_year))
    SchoolYear.objects.bulk_create(years)
    days = [
        SchoolDay(school_year=y, date=d)
        for y in years
        for d in instructional_dates(y.start_date, y.end_date, _closed_dates(y.end_year))
    ]
    SchoolDay.objects.bulk_create(days, batch_size=2000)

    profiles = []
    year_by_district = {}
    for y in years:
        year_by_district.setdefault(y.district_id, []).append(y)
    for school in all_schools:
        title = rng.choices(
            [TitleIStatus.SCHOOLWIDE_PROGRAM, TitleIStatus.TARGETED_PROGRAM, TitleIStatus.NOT_ELIGIBLE],
            weights=[6, 2, 2],
        )[0]
        nslp = rng.choices([NslpStatus.CEP, NslpStatus.NO_PROVISION, NslpStatus.PROVISION_2], weights=[7, 2, 1])[0]
        for y in year_by_district[school.district_id]:
            profiles.append(
                SchoolProfile(
                    school=school,
                    school_year=y,
                    grades_offered=school._profile[2],
                    title_i_status=title,
                    nslp_status=nslp,
                    virtual_status=VirtualStatus.NONE,
                )
            )
    SchoolProfile.objects.bulk_create(profiles, batch_size=2000)

    departments = [
        Department(district=d, code=code, name=str(code.label), email=f"{DEPT_SHORT[code]}@example.org")
        for d in district_rows
        for code in DepartmentCode
    ]
    Department.objects.bulk_create(departments)
    dept = {(d.district_id, d.code): d for d in departments}

    main = district_rows[0]
    main_schools = [s for s in all_schools if s.district_id == main.pk]
    by_slug = {_slug(s.name.split(" ")[0]): s for s in reversed(main_schools)}

    def assign(u: User, role: str, district=main, department=None, schools=(), title=""):
        assignments.append(
            (RoleAssignment(user=u, role=role, district=district, department=department, title=title), list(schools))
        )

    assign(user("district_admin", "Dana", "Admin"), Role.DISTRICT_ADMIN, title="Data and systems administrator")
    assign(user("coo", "Casey", "Operations"), Role.EXECUTIVE, title="Chief Operating Officer")
    assign(user("superintendent", "Sam", "Leader"), Role.EXECUTIVE, title="Superintendent")
    for code, short in DEPT_SHORT.items():
        assign(
            user(f"{short}_manager", short.title(), "Manager"),
            Role.DEPT_MANAGER,
            department=dept[(main.pk, code)],
            title=f"{code.label} director",
        )
    for short, code, school_slug in [
        ("transport", DepartmentCode.TRANSPORTATION, "lincoln"),
        ("enrollment", DepartmentCode.ENROLLMENT, "lincoln"),
        ("facilities", DepartmentCode.FACILITIES, "washington"),
        ("nutrition", DepartmentCode.NUTRITION, "washington"),
        ("athletics", DepartmentCode.ATHLETICS, "roosevelt"),
    ]:
        if school_slug in by_slug:
            assign(
                user(f"{short}_staff_{school_slug}", short.title(), f"Staff {school_slug.title()}"),
                Role.DEPT_STAFF,
                department=dept[(main.pk, code)],
                schools=[by_slug[school_slug]],
            )
    first_schools = {}
    for school in main_schools:
        first_schools.setdefault(_slug(school.name.split(" ")[0]), school)
    for school_slug, school in list(first_schools.items())[:8]:
        assign(
            user(f"principal_{school_slug}", "Pat", school_slug.title()),
            Role.PRINCIPAL,
            schools=[school],
            title="Principal",
        )
    assign(user("nutrition_director", "Nia", "Meals"), Role.MEAL_PROGRAM, title="Meal program administrator")
    assign(
        user("student_services_director", "Sol", "Services"),
        Role.STUDENT_SERVICES,
        title="Director of student services",
    )
    if "lincoln" in by_slug:
        assign(user("nurse_lincoln", "Noor", "Nurse"), Role.NURSE, schools=[by_slug["lincoln"]], title="School nurse")
    state = user("state_analyst", "Sky", "State")
    assignments.append((RoleAssignment(user=state, role=Role.STATE, district=None, title="State agency analyst"), []))
    assign(
        user("sis_integration", "SIS", "Integration", is_integration=True),
        Role.INTEGRATION,
        department=dept[(main.pk, DepartmentCode.ENROLLMENT)],
        title="Student information system sync",
    )
    for d in district_rows[1:]:
        short_name = _slug(d.name.split(" ")[0])
        assign(user(f"admin_{short_name}_{d.state_lea_id}", "Admin", d.name), Role.DISTRICT_ADMIN, district=d)

    User.objects.bulk_create(users)
    RoleAssignment.objects.bulk_create([a for a, _ in assignments])
    through = RoleAssignment.schools.through
    through.objects.bulk_create(
        [through(roleassignment_id=a.pk, school_id=s.pk) for a, schools_ in assignments for s in schools_]
    )
    for u in users:
        if not u.is_integration:
            logins.append((u.username, u.first_name + " " + u.last_name))
    return DemoResult(districts=len(district_rows), schools=len(all_schools), users=len(users), logins=logins)
