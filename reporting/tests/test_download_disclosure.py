"""A report file's download is disclosed under the run's district, where that district's officials read it."""

import pytest

from core.models import Disclosure
from reporting import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def artifact(reporting_world, django_capture_on_commit_callbacks):
    w = reporting_world
    with django_capture_on_commit_callbacks(execute=False):
        run, _reused = services.report_request(
            actor=w.reporting_manager,
            report_key="october_worksheet",
            district=w.district,
            raw_params={"school_year": w.year.pk},
        )
    services.report_run_execute(run.pk)
    found = run.artifacts.get()
    assert found.student_level
    return found


def readers(world, login, api, disclosure) -> dict[str, bool]:
    seen = {}
    for name in ("district_admin", "coo", "other_admin"):
        user = getattr(world, name)
        page = {row["obj"].pk for row in login(user).get("/core/disclosure/").context["rows"]}
        listed = {row["id"] for row in api(user).get("/api/core/disclosures/").json()["results"]}
        assert (disclosure.pk in page) == (disclosure.pk in listed)
        seen[name] = disclosure.pk in page
    return seen


def test_page_download_is_filed_under_the_runs_district(reporting_world, artifact, login, api):
    w = reporting_world
    assert login(w.coo).get(f"/reporting/file/{artifact.pk}/").status_code == 200
    disclosure = Disclosure.objects.get()
    assert (disclosure.channel, disclosure.district_key) == ("download", w.district.pk)
    assert readers(w, login, api, disclosure) == {"district_admin": True, "coo": True, "other_admin": False}


def test_api_download_is_filed_under_the_runs_district(reporting_world, artifact, login, api):
    w = reporting_world
    response = api(w.reporting_manager).get(f"/api/reporting/runs/{artifact.run_id}/files/{artifact.pk}/")
    assert response.status_code == 200
    disclosure = Disclosure.objects.get()
    assert (disclosure.channel, disclosure.district_key) == ("api", w.district.pk)
    assert readers(w, login, api, disclosure) == {"district_admin": True, "coo": True, "other_admin": False}
