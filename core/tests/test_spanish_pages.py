"""Every persona's landing page and navigation read in Spanish, by the browser's language or the language switch.

A page is compared with itself in English: a navigation label or heading that
reads the same in both languages is English left over, unless the catalogue
keeps it the same on purpose (KPI, API) or it is a name from the data.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.text import capfirst

from core import catalogue
from core.choices import Role
from district.choices import DepartmentCode
from district.tests.factories import RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

# Labels of the navigation and the page frame that must never show on a page in Spanish.
KNOWN_ENGLISH = {
    "Home",
    "Workspace",
    "Records",
    "Administration",
    "Dashboard",
    "Operations dashboard",
    "Reports",
    "Sign out",
    "Password",
    "Language",
    "Switch",
    "Menu",
    "Skip to main content",
    "Needs action",
    "Main actions",
    "Key figures",
    "Students",
    "Schools",
    "Enrollments",
    "Report runs",
}

# The language switch names each language in itself, on every page.
ENDONYMS = {"English", "Español"}

PERSONAS = (
    "coo",
    "district_admin",
    "enrollment_manager",
    "enrollment_staff_lincoln",
    "reporting_manager",
    "transport_manager",
    "facilities_staff_lincoln",
    "principal_lincoln",
    "nutrition_director",
    "nurse_lincoln",
    "state_analyst",
)


def member(world, username, code, role=Role.DEPT_MANAGER, schools=()):
    user = UserFactory(username=username)
    RoleAssignmentFactory(
        user=user, role=role, district=world.district, department=world.dept[code], schools=list(schools)
    )
    return user


@pytest.fixture
def people(world):
    world.enrollment_manager = member(world, "enrollment_manager", DepartmentCode.ENROLLMENT)
    world.enrollment_staff_lincoln = member(
        world, "enrollment_staff_lincoln", DepartmentCode.ENROLLMENT, Role.DEPT_STAFF, [world.lincoln]
    )
    world.reporting_manager = member(world, "reporting_manager", DepartmentCode.REPORTING)
    return world


class _Frame(HTMLParser):
    """The texts of the site navigation, the header's controls and the headings of the page, in order."""

    def __init__(self):
        super().__init__()
        self.lang = None
        self.nav: list[str] = []
        self.headings: list[str] = []
        self.header: list[str] = []
        self._in_nav = 0
        self._in_header = 0
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "nav":
            self._in_nav += 1
        elif tag == "header":
            self._in_header += 1
        elif tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag == "nav" and self._in_nav:
            self._in_nav -= 1
        elif tag == "header" and self._in_header:
            self._in_header -= 1
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            text = " ".join("".join(self._heading).split())
            if text:
                self.headings.append(text)
            self._heading = None

    def handle_data(self, data):
        text = " ".join(data.split())
        if self._heading is not None:
            self._heading.append(data)
        if not text:
            return
        if self._in_nav:
            self.nav.append(text)
        elif self._in_header:
            self.header.append(text)


def frame(response) -> _Frame:
    assert response.status_code == 200, response
    parser = _Frame()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture(scope="module")
def same_in_both():
    """Strings the catalogue keeps the same in Spanish (KPI, API, ...): not leftovers when they stay."""
    return {e.msgid for e in catalogue.parse(catalogue.catalogue_path("es")) if e.msgstr == [e.msgid]}


def data_names(world) -> set[str]:
    """Names from the data (districts, schools, people) and the test settings' sample app, untranslated."""
    from django.apps import apps

    sample = apps.get_app_config("sample")
    names = {str(x) for x in (world.district, world.other_district, world.lincoln, world.washington)}
    names |= {u.get_full_name() for u in (world.coo, world.district_admin) if u.get_full_name()}
    names |= {sample.verbose_name, "Sample", *(str(m._meta.verbose_name_plural) for m in sample.get_models())}
    names |= {capfirst(n) for n in names}
    return names | ENDONYMS


def leftovers(english: list[str], spanish: list[str], allowed: set[str]) -> list[str]:
    """Texts of the Spanish page that are English: a known label, or a text the English page shows unchanged."""
    english_texts = set(english) - allowed
    return [text for text in spanish if text in KNOWN_ENGLISH or (text in english_texts and text not in allowed)]


@pytest.mark.parametrize("name", PERSONAS)
def test_each_persona_lands_on_a_page_in_spanish(people, client, same_in_both, name):
    user = getattr(people, name)
    client.force_login(user)
    english = frame(client.get("/", follow=True, HTTP_ACCEPT_LANGUAGE="en"))
    spanish = frame(client.get("/", follow=True, HTTP_ACCEPT_LANGUAGE="es"))
    assert (english.lang, spanish.lang) == ("en", "es")
    assert spanish.nav, f"{name} lands on a page with navigation"
    assert "Inicio" in spanish.nav and "Home" in english.nav
    allowed = same_in_both | data_names(people) | {user.get_full_name(), user.username}
    found = leftovers(
        english.nav + english.header + english.headings, spanish.nav + spanish.header + spanish.headings, allowed
    )
    assert not found, f"English left on the landing page of {name}: {found}"


def test_department_names_head_the_navigation_in_spanish(people, client):
    client.force_login(people.enrollment_manager)
    nav = frame(client.get("/", follow=True, HTTP_ACCEPT_LANGUAGE="es")).nav
    assert "Inscripción y Elección de Escuela" in nav and "Espacio de trabajo" in nav and "Registros" in nav
    with translation.override("en"):
        english_department = str(DepartmentCode.ENROLLMENT.label)
    assert english_department not in nav


def test_the_language_switch_sets_spanish_over_the_browsers_language(people, client, same_in_both):
    client.force_login(people.coo)
    english = frame(client.get("/", follow=True))
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert response.status_code == 302 and client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    spanish = frame(client.get("/", follow=True, HTTP_ACCEPT_LANGUAGE="en"))
    assert spanish.lang == "es" and "Inicio" in spanish.nav
    assert not leftovers(english.nav, spanish.nav, same_in_both | data_names(people))


def test_a_page_in_spanish_leaves_no_spanish_behind(people, client):
    """The language of one request is not the next one's, nor the next test's."""
    client.force_login(people.coo)
    client.get("/", follow=True, HTTP_ACCEPT_LANGUAGE="es")
    assert frame(client.get("/", follow=True, HTTP_ACCEPT_LANGUAGE="en")).lang == "en"


def test_the_check_catches_an_english_label(people, client, same_in_both):
    """The comparison can fail: an English label kept on the Spanish page is reported."""
    english = ["Home", "Workspace", "Capitol City Public Schools"]
    spanish = ["Inicio", "Workspace", "Capitol City Public Schools", "Dashboard"]
    assert leftovers(english, spanish, same_in_both | data_names(people)) == ["Workspace", "Dashboard"]
