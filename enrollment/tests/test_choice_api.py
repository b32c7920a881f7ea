"""School-choice API actions: submit, change and withdraw applications, run the lottery, answer offers."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEntry
from core.tests.factories import make_token
from enrollment import choice
from enrollment import models as m

from . import factories as f
from .test_choice_fixtures import choice_world, close_window, student, submit

pytestmark = pytest.mark.django_db
SUBMIT = "enrollment-api:choice-application-list"


def url(name, *args):
    return reverse(f"enrollment-api:{name}", args=args)


@pytest.fixture
def cw(world):
    return choice_world(world)


@pytest.fixture
def ran(cw):
    m.ChoiceProgram.objects.filter(pk=cw.lin.pk).update(seats=1)
    cw.apps = [submit(cw, ["LIN-06"]) for _ in range(2)]
    close_window(cw)
    cw.run = choice.lottery_run(actor=cw.manager, window=cw.window, kind="final", seed=5)
    cw.offer = m.Offer.objects.get()
    return cw


def actions_of(cw, application, offer):
    return [
        (reverse(SUBMIT), {"window": cw.window.pk, "student": student(cw).pk, "program_codes": ["LIN-06"]}),
        (url("choice-application-choices", application.pk), {"program_codes": ["WAS-06"]}),
        (url("choice-application-withdraw", application.pk), {}),
        (
            url("choice-application-priority", application.pk),
            {"program_code": "LIN-06", "kind": "zone", "granted": True, "reason": "map"},
        ),
        (url("choice-window-run-lottery", cw.window.pk), {"kind": "dry"}),
        (url("choice-window-compute-priorities", cw.window.pk), {}),
        (url("choice-offer-accept", offer.pk), {}),
        (url("choice-offer-decline", offer.pk), {}),
    ]


def test_anonymous_strangers_and_read_only_tokens_are_refused(ran, api, world):
    application = ran.apps[0]
    before = (m.Application.objects.count(), m.LotteryRun.objects.count(), AuditEntry.objects.count())
    reader = APIClient()
    _token, key = make_token(world.sis_integration, scopes=["enrollment:read"])
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    for path, body in actions_of(ran, application, ran.offer):
        assert api().post(path, body, format="json").status_code in (401, 403), path
        assert api(world.stranger).post(path, body, format="json").status_code == 403, path
        assert reader.post(path, body, format="json").status_code == 403, path
    assert (m.Application.objects.count(), m.LotteryRun.objects.count(), AuditEntry.objects.count()) == before
    assert m.Offer.objects.get(pk=ran.offer.pk).status == "pending"


def test_records_of_another_district_are_not_found(ran, api, world):
    other = ran.other_window
    kid = f.StudentFactory(district=world.other_district)
    application = choice.application_submit(actor=None, window=other, student=kid, program_codes=["RIV-06"])
    m.ApplicationWindow.objects.filter(pk=other.pk).update(closes_at=timezone.now() - datetime.timedelta(hours=1))
    choice.lottery_run(actor=None, window=other, kind="final", seed=1)
    offer = m.Offer.objects.get(application=application)
    c = api(ran.manager)
    for path, body in actions_of(ran, application, offer)[1:]:
        if f"/{ran.window.pk}/" in path:
            path = path.replace(f"/{ran.window.pk}/", f"/{other.pk}/")
        assert c.post(path, body, format="json").status_code == 404, path
    submitted = c.post(
        reverse(SUBMIT), {"window": other.pk, "student": kid.pk, "program_codes": ["RIV-06"]}, format="json"
    )
    assert submitted.status_code == 400 and {"window", "student"} <= set(submitted.json())
    assert m.Offer.objects.get(pk=offer.pk).status == "pending"


def test_an_integration_submits_by_state_id_or_external_id(cw, api, world):
    c = api(world.sis_integration)
    kid = student(cw)
    response = c.post(
        reverse(SUBMIT),
        {"window": cw.window.pk, "state_id": kid.state_id, "program_codes": ["WAS-06", "LIN-06"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["program_codes"] == ["WAS-06", "LIN-06"] and body["student"] == kid.pk and body["status"] == "submitted"
    assert AuditEntry.objects.filter(object_id=str(body["id"]), change="create", source="api").exists()
    other = student(cw)
    f.StudentExternalIdFactory(student=other, source="lottery", external_id="RML-2027-0042")
    response = c.post(
        reverse(SUBMIT),
        {
            "window": cw.window.pk,
            "external_source": "lottery",
            "external_id": "RML-2027-0042",
            "program_codes": ["LIN-06"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert m.Application.objects.get(pk=response.json()["id"]).student == other


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"program_codes": ["LIN-06", "LIN-06"]}, "program_codes"),
        ({"program_codes": ["WAS-07"]}, "program_codes"),
        ({"program_codes": ["RIV-06"]}, "program_codes"),
        ({"program_codes": [f"C{k}" for k in range(13)]}, "program_codes"),
        ({"program_codes": "LIN-06"}, "program_codes"),
        ({"program_codes": None}, "program_codes"),
        ({"window": 999999}, "window"),
        ({"state_id": None, "student": None}, "student"),
        ({"state_id": "0000000000"}, "state_id"),
        ({"external_id": "x"}, "student"),
        ({"submitted_at": "yesterday"}, "submitted_at"),
        ({"submitted_at": "2030-01-01T00:00:00Z"}, "submitted_at"),
    ],
)
def test_submit_bad_input_is_refused_with_the_field(cw, api, world, changes, field):
    for k in range(13):
        f.ChoiceProgramFactory(window=cw.window, school=world.lincoln, code=f"C{k}")
    body = {"window": cw.window.pk, "state_id": student(cw).state_id, "program_codes": ["LIN-06"], **changes}
    body = {k: v for k, v in body.items() if v is not None}
    response = api(world.sis_integration).post(reverse(SUBMIT), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not m.Application.objects.exists()


def test_submit_past_the_deadline_is_refused(cw, api, world):
    close_window(cw)
    response = api(world.sis_integration).post(
        reverse(SUBMIT),
        {"window": cw.window.pk, "state_id": student(cw).state_id, "program_codes": ["LIN-06"]},
        format="json",
    )
    assert response.status_code == 400 and "deadline" in " ".join(response.json()["submitted_at"])


def test_change_withdraw_and_priority_actions(cw, api):
    application = submit(cw, ["LIN-06"])
    c = api(cw.manager)
    bad = c.post(url("choice-application-choices", application.pk), {"program_codes": []}, format="json")
    assert bad.status_code == 400 and "program_codes" in bad.json()
    ok = c.post(
        url("choice-application-choices", application.pk), {"program_codes": ["WAS-06", "LIN-06"]}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["program_codes"] == ["WAS-06", "LIN-06"]
    no_reason = c.post(
        url("choice-application-priority", application.pk),
        {"program_code": "LIN-06", "kind": "zone", "granted": True, "reason": ""},
        format="json",
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    unknown = c.post(
        url("choice-application-priority", application.pk),
        {"program_code": "NOPE", "kind": "zone", "granted": True, "reason": "map"},
        format="json",
    )
    assert unknown.status_code == 400 and "program_code" in unknown.json()
    bad_kind = c.post(
        url("choice-application-priority", application.pk),
        {"program_code": "LIN-06", "kind": "cousin", "granted": True, "reason": "map"},
        format="json",
    )
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()
    assert not m.ApplicantPriority.objects.exists()
    good = c.post(
        url("choice-application-priority", application.pk),
        {"program_code": "LIN-06", "kind": "zone", "granted": True, "reason": "Zone map"},
        format="json",
    )
    assert good.status_code == 200 and good.json()["is_override"] is True
    withdrawn = c.post(url("choice-application-withdraw", application.pk), {}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = c.post(url("choice-application-withdraw", application.pk), {}, format="json")
    assert again.status_code == 400 and "status" in again.json()


def test_run_lottery_action(cw, api):
    submit(cw, ["LIN-06", "WAS-06"])
    c = api(cw.manager)
    path = url("choice-window-run-lottery", cw.window.pk)
    for body, field in (
        ({"kind": "soon"}, "kind"),
        ({"tie_breaking": "coin"}, "tie_breaking"),
        ({"seed": "9" * 65}, "seed"),
        ({"kind": "final"}, "kind"),
    ):
        response = c.post(path, body, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.json())
    assert not m.LotteryRun.objects.exists()
    dry = c.post(path, {"kind": "dry", "seed": 20270301}, format="json")
    assert dry.status_code == 201, dry.content
    body = dry.json()
    assert body["seed"] == "20270301" and body["summary"]["seed"] == 20270301 and len(body["input_hash"]) == 64
    assert body["summary"]["matched"] == 1
    close_window(cw)
    final = c.post(path, {"kind": "final"}, format="json")
    assert final.status_code == 201 and m.Offer.objects.count() == 1
    twice = c.post(path, {"kind": "final"}, format="json")
    assert twice.status_code == 400 and "kind" in twice.json()
    assert api(cw.world.coo).post(path, {"kind": "dry"}, format="json").status_code == 403
    computed = c.post(url("choice-window-compute-priorities", cw.window.pk), {}, format="json")
    assert computed.status_code == 400  # the final run has happened: priorities are settled


def test_offer_actions(ran, api, world):
    c = api(world.sis_integration)
    accepted = c.post(url("choice-offer-accept", ran.offer.pk), {}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted" and accepted.json()["enrollment"]
    again = c.post(url("choice-offer-accept", ran.offer.pk), {}, format="json")
    assert again.status_code == 400 and "status" in again.json()
    declined = c.post(url("choice-offer-decline", ran.offer.pk), {}, format="json")
    assert declined.status_code == 400 and "status" in declined.json()
    assert api(world.coo).post(url("choice-offer-decline", ran.offer.pk), {}, format="json").status_code == 403
    assert m.Enrollment.objects.count() == 1


@pytest.mark.parametrize("bad", ["x", "99999999999999999999", "-1"])
def test_an_action_on_a_non_id_is_a_404(ran, api, world, bad):
    c = api(world.sis_integration)
    for action in ("accept", "decline"):
        response = c.post(f"/api/enrollment/choice/offers/{bad}/{action}/", {}, format="json")
        assert response.status_code == 404, response.content
        assert "whole numbers" in response.json()["detail"]
    assert m.Offer.objects.get().status == "pending"


def test_decline_action_moves_the_waitlist(ran, api):
    waiting = next(a for a in ran.apps if a.pk != ran.offer.application_id)
    response = api(ran.manager).post(url("choice-offer-decline", ran.offer.pk), {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert m.Offer.objects.get(application=waiting, status="pending").program == ran.lin


def test_late_accept_is_refused(ran, api):
    m.Offer.objects.filter(pk=ran.offer.pk).update(respond_by=timezone.localdate() - datetime.timedelta(days=1))
    response = api(ran.manager).post(url("choice-offer-accept", ran.offer.pk), {}, format="json")
    assert response.status_code == 400 and "respond_by" in response.json()


def test_the_schema_documents_the_actions(api, world):
    schema = api(world.coo).get(reverse("api-schema")).content.decode()
    for path in (
        "/api/enrollment/choice/applications/",
        "/api/enrollment/choice/windows/{id}/run-lottery/",
        "/api/enrollment/choice/offers/{id}/accept/",
    ):
        assert path in schema
