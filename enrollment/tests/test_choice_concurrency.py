"""Seats under concurrent accepts, on PostgreSQL (row locks are real there)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from enrollment import choice
from enrollment import models as m

from .test_choice_fixtures import choice_world, close_window, submit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_cannot_both_take_the_last_seat(world):
    cw = choice_world(world)
    m.ChoiceProgram.objects.filter(pk=cw.lin.pk).update(seats=2)
    first, second = submit(cw, ["LIN-06"]), submit(cw, ["LIN-06"])
    close_window(cw)
    choice.lottery_run(actor=cw.manager, window=cw.window, kind="final", seed=1)
    m.ChoiceProgram.objects.filter(pk=cw.lin.pk).update(seats=1)  # one seat left for two pending offers
    offers = list(m.Offer.objects.filter(application__in=[first, second]))
    assert len(offers) == 2 and all(o.status == "pending" for o in offers)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(offer):
        try:
            start.wait()
            choice.offer_accept(actor=cw.manager, offer=offer)
            outcomes.append("accepted")
        except ValidationError as exc:
            outcomes.append("refused: " + " ".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(offer,)) for offer in offers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["accepted", "refused"], outcomes
    assert m.Offer.objects.filter(program=cw.lin, status="accepted").count() == 1
    assert m.Enrollment.objects.filter(school=world.lincoln, entry_date__gte=timezone.localdate()).count() == 1
