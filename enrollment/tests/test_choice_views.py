"""School-choice pages: permissions (contract style), forms with bad input, answers, flat query counts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from core.testing.contracts import count_queries
from enrollment import choice
from enrollment import models as m

from . import factories as f
from .test_choice_fixtures import choice_world, close_window, offer_of, student, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(world):
    return choice_world(world)


@pytest.fixture
def ran(cw):
    """A closed window with a final run: two applicants placed, one waiting."""
    m.ChoiceProgram.objects.filter(pk=cw.lin.pk).update(seats=1)
    cw.apps = [submit(cw, ["LIN-06"]) for _ in range(2)]
    close_window(cw)
    cw.run = choice.lottery_run(actor=cw.manager, window=cw.window, kind="final", seed=5)
    cw.offer = m.Offer.objects.get(application__in=cw.apps)
    return cw


def other_district_records(cw):
    """A run, application and offer in Riverside, made by the services as Riverside's system jobs."""
    other = cw.other_window
    kid = f.StudentFactory(district=cw.world.other_district)
    application = choice.application_submit(actor=None, window=other, student=kid, program_codes=["RIV-06"])
    m.ApplicationWindow.objects.filter(pk=other.pk).update(closes_at=timezone.now() - datetime.timedelta(hours=1))
    other.refresh_from_db()
    run = choice.lottery_run(actor=None, window=other, kind="final", seed=1)
    return run, application, m.Offer.objects.get(application=application)


def pages_of(cw):
    """(method, url) of every school-choice page, for one window, run, application and offer."""
    run, application, offer = cw.run, cw.apps[0], cw.offer
    return [
        ("get", reverse("enrollment:choice_windows")),
        ("get", reverse("enrollment:choice_window", args=[cw.window.pk])),
        ("post", reverse("enrollment:choice_run", args=[cw.window.pk])),
        ("post", reverse("enrollment:choice_priorities", args=[cw.window.pk])),
        ("get", reverse("enrollment:lotteryrun_detail", args=[run.pk])),
        ("get", reverse("enrollment:lotteryrun_add")),
        ("get", reverse("enrollment:application_add") + f"?window={cw.window.pk}"),
        ("get", reverse("enrollment:application_detail", args=[application.pk])),
        ("get", reverse("enrollment:application_choices", args=[application.pk])),
        ("post", reverse("enrollment:application_withdraw", args=[application.pk])),
        ("post", reverse("enrollment:application_priority", args=[application.pk])),
        ("get", reverse("enrollment:offer_detail", args=[offer.pk])),
        ("post", reverse("enrollment:offer_accept", args=[offer.pk])),
        ("post", reverse("enrollment:offer_decline", args=[offer.pk])),
    ]


# -- permissions ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(ran, client):
    for method, url in pages_of(ran):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert reverse("login") in response["Location"], url
    assert m.LotteryRun.objects.count() == 1 and m.Offer.objects.get(pk=ran.offer.pk).status == "pending"


def test_strangers_are_refused(ran, login):
    c = login(ran.world.stranger)
    for method, url in pages_of(ran):
        assert getattr(c, method)(url).status_code == 403, url
    assert m.LotteryRun.objects.count() == 1 and m.Offer.objects.get(pk=ran.offer.pk).status == "pending"


def test_records_of_another_district_are_not_found(ran, login):
    run, application, offer = other_district_records(ran)
    c = login(ran.manager)
    assert c.get(reverse("enrollment:choice_window", args=[ran.other_window.pk])).status_code == 404
    assert c.post(reverse("enrollment:choice_run", args=[ran.other_window.pk]), {"kind": "dry"}).status_code == 404
    assert c.post(reverse("enrollment:choice_priorities", args=[ran.other_window.pk])).status_code == 404
    assert c.get(reverse("enrollment:lotteryrun_detail", args=[run.pk])).status_code == 404
    assert c.get(reverse("enrollment:application_detail", args=[application.pk])).status_code == 404
    assert c.get(reverse("enrollment:application_choices", args=[application.pk])).status_code == 404
    assert c.post(reverse("enrollment:application_withdraw", args=[application.pk])).status_code == 404
    assert c.get(reverse("enrollment:offer_detail", args=[offer.pk])).status_code == 404
    assert c.post(reverse("enrollment:offer_accept", args=[offer.pk])).status_code == 404
    assert c.post(reverse("enrollment:offer_decline", args=[offer.pk])).status_code == 404
    offer.refresh_from_db()
    assert offer.status == "pending"
    listed = c.get(reverse("enrollment:choice_windows")).content.decode()
    assert str(ran.window) in listed and str(ran.other_window) not in listed


def test_readers_see_but_cannot_run_or_answer(ran, login):
    c = login(ran.world.coo)
    page = c.get(reverse("enrollment:choice_window", args=[ran.window.pk]))
    assert page.status_code == 200
    assert reverse("enrollment:choice_run", args=[ran.window.pk]) not in page.content.decode()
    summary = c.get(reverse("enrollment:lotteryrun_detail", args=[ran.run.pk]))
    assert summary.status_code == 200
    assert "<td>Grade 6</td>" in summary.content.decode() and "<td>06</td>" not in summary.content.decode()
    assert c.post(reverse("enrollment:choice_run", args=[ran.window.pk]), {"kind": "dry"}).status_code == 403
    detail = c.get(reverse("enrollment:offer_detail", args=[ran.offer.pk]))
    assert detail.status_code == 200 and reverse("enrollment:offer_accept", args=[ran.offer.pk]) not in (
        detail.content.decode()
    )
    assert c.post(reverse("enrollment:offer_accept", args=[ran.offer.pk])).status_code == 403
    assert offer_of(ran.offer.application).status == "pending"


# -- the window page and its run form ------------------------------------------------------------


def test_run_form_runs_a_dry_run_and_shows_its_summary(cw, login):
    for _ in range(3):
        submit(cw, ["LIN-06", "WAS-06"])
    c = login(cw.manager)
    response = c.post(
        reverse("enrollment:choice_run", args=[cw.window.pk]), {"kind": "dry", "seed": "4242", "tie_breaking": "single"}
    )
    run = m.LotteryRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "enrollment:lotteryrun_detail", args=[run.pk]
    )
    assert run.seed == "4242" and run.summary["seed"] == 4242
    page = c.get(response["Location"]).content.decode()
    assert run.input_hash in page and "4242" in page and "100.0%" in page
    assert "LIN-06" in page and "Sex" in page
    window_page = c.get(reverse("enrollment:choice_window", args=[cw.window.pk])).content.decode()
    assert run.input_hash[:14] in window_page


def test_run_form_bad_input_gets_field_errors_and_runs_nothing(cw, login):
    submit(cw, ["LIN-06"])
    c = login(cw.manager)
    url = reverse("enrollment:choice_run", args=[cw.window.pk])
    bad = c.post(url, {"kind": "sometime", "tie_breaking": "single"})
    assert bad.status_code == 400 and "kind" in bad.context["form"].errors
    open_final = c.post(url, {"kind": "final", "tie_breaking": "single"})
    assert open_final.status_code == 400
    assert "deadline" in " ".join(open_final.context["form"].errors["kind"])
    long_seed = c.post(url, {"kind": "dry", "seed": "9" * 65, "tie_breaking": "single"})
    assert long_seed.status_code == 400 and "seed" in long_seed.context["form"].errors
    assert not m.LotteryRun.objects.exists()


def test_second_final_run_is_refused_on_the_form(ran, login):
    c = login(ran.manager)
    response = c.post(
        reverse("enrollment:choice_run", args=[ran.window.pk]), {"kind": "final", "tie_breaking": "single"}
    )
    assert response.status_code == 400
    assert "already has its final run" in " ".join(response.context["form"].errors["kind"])
    assert m.LotteryRun.objects.filter(kind="final").count() == 1


def test_compute_priorities_button(cw, login):
    submit(cw, ["LIN-06"])
    c = login(cw.manager)
    response = c.post(reverse("enrollment:choice_priorities", args=[cw.window.pk]), follow=True)
    assert "1 added" in response.content.decode()
    assert m.ApplicantPriority.objects.filter(kind="resident").count() == 1


# -- applications --------------------------------------------------------------------------------


def application_data(cw, who, *codes):
    data = {"window": cw.window.pk, "student": who}
    data.update({f"choice_{n}": code for n, code in enumerate(codes, start=1)})
    return data


def test_application_form_submits_ranked_choices(cw, login):
    kid = student(cw)
    c = login(cw.manager)
    add = reverse("enrollment:application_add")
    picker = c.get(add)
    assert picker.status_code == 200 and str(cw.window) in picker.content.decode()
    form = c.get(add, {"window": cw.window.pk})
    assert form.status_code == 200 and 'list="program-codes"' in form.content.decode()
    assert "<td>Grade 6</td>" in form.content.decode()  # the programs' grades by their labels
    response = c.post(add, application_data(cw, kid.state_id, "WAS-06", "LIN-06"))
    application = m.Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("enrollment:application_detail", args=[application.pk])
    assert list(application.choices.values_list("program__code", flat=True)) == ["WAS-06", "LIN-06"]
    detail = c.get(response["Location"]).content.decode()
    assert "Washington Arts 6" in detail and "Withdraw" in detail


@pytest.mark.parametrize(
    ("choices_", "field", "message"),
    [
        (("LIN-06", "LIN-06"), "choice_2", "Already ranked as choice 1"),
        (("WAS-07",), "choice_1", "closed to applications"),
        (("RIV-06",), "choice_1", "No program with that code"),
        ((), "choice_1", "required"),
    ],
)
def test_application_form_bad_choices_get_field_errors(cw, login, choices_, field, message):
    c = login(cw.manager)
    response = c.post(reverse("enrollment:application_add"), application_data(cw, student(cw).state_id, *choices_))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not m.Application.objects.exists()


def test_application_form_unknown_student_and_past_deadline(cw, login):
    c = login(cw.manager)
    add = reverse("enrollment:application_add")
    response = c.post(add, application_data(cw, "0000000000", "LIN-06"))
    assert response.status_code == 400 and "student" in response.context["form"].errors
    outsider = f.StudentFactory(district=cw.world.other_district)
    response = c.post(add, application_data(cw, outsider.state_id, "LIN-06"))
    assert response.status_code == 400 and "student" in response.context["form"].errors
    close_window(cw)
    response = c.post(add, application_data(cw, student(cw).state_id, "LIN-06"))
    assert response.status_code == 400
    assert "deadline" in " ".join(response.context["form"].non_field_errors())
    assert not m.Application.objects.exists()


def test_change_choices_and_withdraw_pages(cw, login):
    application = submit(cw, ["LIN-06"])
    c = login(cw.manager)
    url = reverse("enrollment:application_choices", args=[application.pk])
    assert c.get(url).context["form"]["choice_1"].value() == "LIN-06"
    bad = c.post(url, {"choice_1": "WAS-06", "choice_2": "WAS-06"})
    assert bad.status_code == 400 and "choice_2" in bad.context["form"].errors
    assert c.post(url, {"choice_1": "WAS-06", "choice_2": "LIN-06"}).status_code == 302
    assert list(application.choices.order_by("rank").values_list("program__code", flat=True)) == ["WAS-06", "LIN-06"]
    c.post(reverse("enrollment:application_withdraw", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert c.get(url).status_code == 200  # the page shows; the service refuses a withdrawn application
    refused = c.post(url, {"choice_1": "LIN-06"})
    assert refused.status_code == 400 and "withdrawn" in " ".join(refused.context["form"].non_field_errors())


def test_priority_override_form_needs_a_reason(cw, login):
    application = submit(cw, ["LIN-06"])
    c = login(cw.manager)
    url = reverse("enrollment:application_priority", args=[application.pk])
    bad = c.post(url, {"program": cw.lin.pk, "kind": "staff_child", "granted": "1", "reason": ""})
    assert bad.status_code == 400 and "reason" in bad.context["override_form"].errors
    unranked = c.post(url, {"program": cw.wash.pk, "kind": "zone", "granted": "1", "reason": "map"})
    assert unranked.status_code == 400 and "program" in unranked.context["override_form"].errors
    assert not m.ApplicantPriority.objects.exists()
    good = c.post(url, {"program": cw.lin.pk, "kind": "staff_child", "granted": "1", "reason": "Parent on staff"})
    assert good.status_code == 302
    row = m.ApplicantPriority.objects.get()
    assert row.is_override and row.granted and row.reason == "Parent on staff"


# -- offers --------------------------------------------------------------------------------------


def test_offer_buttons_accept_and_decline(ran, login):
    c = login(ran.manager)
    detail = reverse("enrollment:offer_detail", args=[ran.offer.pk])
    page = c.get(detail).content.decode()
    assert reverse("enrollment:offer_accept", args=[ran.offer.pk]) in page
    response = c.post(reverse("enrollment:offer_accept", args=[ran.offer.pk]), follow=True)
    assert "Offer accepted" in response.content.decode()
    ran.offer.refresh_from_db()
    assert ran.offer.status == "accepted" and ran.offer.enrollment.entry_code == "C1"
    assert reverse("enrollment:offer_accept", args=[ran.offer.pk]) not in c.get(detail).content.decode()
    again = c.post(reverse("enrollment:offer_decline", args=[ran.offer.pk]), follow=True)
    assert "only a pending offer can be declined" in again.content.decode()
    ran.offer.refresh_from_db()
    assert ran.offer.status == "accepted"


def test_decline_button_moves_the_waitlist(ran, login):
    waiting = next(a for a in ran.apps if a.pk != ran.offer.application_id)
    login(ran.manager).post(reverse("enrollment:offer_decline", args=[ran.offer.pk]))
    assert offer_of(waiting).program == ran.lin
    assert AuditEntry.objects.filter(content_type__model="offer", change="create", source="web").exists()


def test_accept_after_the_deadline_is_refused_on_the_page(ran, login):
    m.Offer.objects.filter(pk=ran.offer.pk).update(respond_by=timezone.localdate() - datetime.timedelta(days=1))
    response = login(ran.manager).post(reverse("enrollment:offer_accept", args=[ran.offer.pk]), follow=True)
    assert "The answer was due by" in response.content.decode()
    assert not m.Enrollment.objects.exists()


# -- query counts --------------------------------------------------------------------------------


def test_window_page_query_count_is_flat(cw, login):
    submit(cw, ["LIN-06"])
    c = login(cw.manager)
    url = reverse("enrollment:choice_window", args=[cw.window.pk])
    for _ in range(3):
        choice.lottery_run(actor=cw.manager, window=cw.window, seed=1)
    c.get(url)
    few = count_queries(lambda: c.get(url))
    for _ in range(27):
        choice.lottery_run(actor=cw.manager, window=cw.window, seed=1)
    many = count_queries(lambda: c.get(url))
    assert few == many, f"{few} queries for 3 runs, {many} for 30"


def test_run_summary_query_count_is_flat(cw, login):
    c = login(cw.manager)

    def run_with_programs(n):
        for k in range(m.ChoiceProgram.objects.filter(window=cw.window).count(), n):
            program = f.ChoiceProgramFactory(window=cw.window, school=cw.world.lincoln, code=f"Q{k:03d}")
            submit(cw, [program.code])
        run = choice.lottery_run(actor=cw.manager, window=cw.window, seed=1)
        return reverse("enrollment:lotteryrun_detail", args=[run.pk])

    submit(cw, ["LIN-06"])
    url = run_with_programs(3)
    c.get(url)
    few = count_queries(lambda: c.get(url))
    url = run_with_programs(30)
    assert len(m.LotteryRun.objects.get(pk=url.rstrip("/").split("/")[-1]).summary["programs"]) == 30
    many = count_queries(lambda: c.get(url))
    assert few == many, f"{few} queries for 3 programs, {many} for 30"


def test_application_detail_query_count_is_flat(cw, login):
    for k in range(12):
        f.ChoiceProgramFactory(window=cw.window, school=cw.world.washington, code=f"Z{k:02d}")
    short = submit(cw, ["LIN-06", "Z00"])
    long = submit(cw, [f"Z{k:02d}" for k in range(12)])
    for application in (short, long):
        for code in ("Z00", "Z01") if application is long else ("Z00",):
            choice.applicant_priority_override(
                actor=cw.manager,
                application=application,
                program=cw.window.programs.get(code=code),
                kind="zone",
                granted=True,
                reason="map",
            )
    c = login(cw.manager)
    c.get(reverse("enrollment:application_detail", args=[short.pk]))
    few = count_queries(lambda: c.get(reverse("enrollment:application_detail", args=[short.pk])))
    many = count_queries(lambda: c.get(reverse("enrollment:application_detail", args=[long.pk])))
    assert few == many, f"{few} queries for 2 choices, {many} for 12"
