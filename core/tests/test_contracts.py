"""The chassis's own models, and a school-scoped sample record, through the contracts."""

import pytest

from core.models import ApiToken, AuditEntry, Disclosure, User
from core.testing.contracts import ApiContract, FilterSetContract, PagesContract
from core.tests.sample.models import Widget
from district.tests.factories import RoleAssignmentFactory, UserFactory

from .factories import WidgetFactory, make_audit, make_disclosure, make_token

pytestmark = pytest.mark.django_db


class AllContracts(PagesContract, ApiContract, FilterSetContract):
    pass


class TestUser(AllContracts):
    model = User
    reader = "district_admin"
    denied = "coo"
    edit_field = "last_name"
    bad_field = "username"
    bad_value = "no spaces allowed!"

    @staticmethod
    def make(world, school):
        user = UserFactory()
        RoleAssignmentFactory(user=user, district=school.district)
        return user

    def new_data(self, world):
        return {
            "username": "new_clerk",
            "first_name": "New",
            "last_name": "Clerk",
            "email": "clerk@example.org",
            "preferred_language": "es",
            "is_active": "on",
        }

    versioned = False  # accounts carry no version; edits are audited (test_user_edit_is_audited)

    def test_user_edit_is_audited(self, world, login):
        user = self.in_scope(world)
        data = {**self.new_data(world), "username": user.username, "last_name": "Renamed"}
        assert login(world.district_admin).post(f"/core/user/{user.pk}/edit/", data).status_code == 302
        assert AuditEntry.objects.get(object_id=str(user.pk), change="update").changes["last_name"][1] == "Renamed"

    def test_new_user_has_no_usable_password(self, world, login):
        login(world.district_admin).post("/core/user/add/", self.new_data(world))
        assert not User.objects.get(username="new_clerk").has_usable_password()


class TestApiToken(AllContracts):
    model = ApiToken
    reader = "district_admin"
    denied = "coo"
    api_write = False
    bad_field = "scopes"
    bad_value = []

    @staticmethod
    def make(world, school):
        user = UserFactory(is_integration=True)
        RoleAssignmentFactory(user=user, district=school.district)
        return make_token(user)[0]

    def new_data(self, world):
        return {"name": "Bus GPS feed", "user": world.sis_integration.pk, "scopes": ["district:read"]}

    def test_api_without_permission_refused(self, world, api):
        obj = self.in_scope(world)
        assert api(world.coo).get(self.api_url()).status_code == 403
        assert api(world.coo).get(self.api_url(obj)).status_code == 403


class TestAuditEntry(AllContracts):
    model = AuditEntry
    read_only = True
    writer = "district_admin"
    reader = "coo"
    denied = "transport_manager"

    @staticmethod
    def make(world, school):
        return make_audit(school.district_id)


class TestDisclosure(AllContracts):
    model = Disclosure
    read_only = True
    writer = "district_admin"
    reader = "coo"
    denied = "principal_lincoln"

    @staticmethod
    def make(world, school):
        return make_disclosure(school.district_id)


class TestWidget(AllContracts):
    """A school-scoped department record with a sensitive field and student-level data."""

    model = Widget
    writer = "facilities_manager"
    reader = "coo"
    denied = "transport_manager"  # another department's manager
    scoped_reader = "facilities_staff_lincoln"
    bad_field = "count"
    bad_value = "-4"

    @staticmethod
    def make(world, school):
        return WidgetFactory(school=school)

    def new_data(self, world):
        return {"school": world.lincoln.pk, "name": "Boiler", "meal_status": "REDUCED", "count": 2}

    def test_principal_reads_only_own_school(self, world, login):
        lincoln, washington = WidgetFactory(school=world.lincoln), WidgetFactory(school=world.washington)
        c = login(world.principal_washington)
        assert c.get(f"/sample/widget/{washington.pk}/").status_code == 200
        assert c.get(f"/sample/widget/{lincoln.pk}/").status_code == 404
        assert c.get(f"/sample/widget/{washington.pk}/edit/").status_code == 403

    def test_staff_cannot_add_at_another_school(self, world, login):
        c = login(world.facilities_staff_lincoln)
        response = c.post("/sample/widget/add/", {**self.new_data(world), "school": world.washington.pk})
        assert response.status_code == 400
        assert not Widget.objects.exists()

    def test_meal_program_role_sees_meal_status(self, world, login):
        widget = WidgetFactory(school=world.lincoln)
        RoleAssignmentFactory(user=world.facilities_manager, role="meal_program", district=world.district)
        page = login(world.facilities_manager).get(f"/sample/widget/{widget.pk}/").content.decode()
        assert widget.meal_status in page

    def test_api_read_is_disclosed(self, world, api):
        WidgetFactory(school=world.lincoln)
        api(world.coo).get("/api/sample/widgets/")
        d = Disclosure.objects.get()
        assert d.channel == "api" and d.student_count == 1 and "meal_status" not in d.categories

    def test_audit_values_of_hidden_fields_are_masked(self, world, login):
        RoleAssignmentFactory(user=world.facilities_manager, role="meal_program", district=world.district)
        c = login(world.facilities_manager)
        c.post("/sample/widget/add/", self.new_data(world))
        widget = Widget.objects.get()
        entry = AuditEntry.objects.get(object_id=str(widget.pk))
        assert entry.changes["meal_status"] == [None, "REDUCED"]
        page = login(world.coo).get(f"/sample/widget/{widget.pk}/").content.decode()
        assert "REDUCED" not in page
        body = login(world.district_admin).get("/api/core/audit-entries/").json()["results"]
        assert body[0]["changes"]["meal_status"] == ["•••", "•••"]
