"""Records of the choice workflow for the sweeps (``core.testing.sweeps``): one per model at a given school.

Applications name the school through a ranked choice (so they are at that
school); runs, offers and waitlist places come from a window of the school's
district.
"""

import datetime
import itertools

from django.utils import timezone

from enrollment import models as m

from . import factories as f

_seeds = itertools.count(1)


def _year(world, school):
    return world.year if school.district_id == world.district.pk else world.other_year


def application(world, school):
    window = f.ApplicationWindowFactory(district=school.district, school_year=_year(world, school))
    program = f.ChoiceProgramFactory(window=window, school=school)
    app = f.ApplicationFactory(window=window, student=f.StudentFactory(district=school.district))
    m.ApplicationChoice.objects.create(application=app, program=program, rank=1)
    return app


def lottery_run(world, school):
    window = f.ApplicationWindowFactory(district=school.district, school_year=_year(world, school))
    return m.LotteryRun.objects.create(
        window=window, kind="trial", seed=str(next(_seeds)), input_hash="0" * 64, summary={}, ran_at=timezone.now()
    )


def _placed(world, school):
    app = application(world, school)
    program = app.choices.get().program
    run = m.LotteryRun.objects.create(
        window=app.window, kind="trial", seed=str(next(_seeds)), input_hash="0" * 64, summary={}, ran_at=timezone.now()
    )
    return app, program, run


def offer(world, school):
    app, program, run = _placed(world, school)
    return m.Offer.objects.create(
        run=run,
        application=app,
        program=program,
        rank=1,
        respond_by=datetime.date.today() + datetime.timedelta(days=14),
    )


def waitlist_entry(world, school):
    app, program, run = _placed(world, school)
    return m.WaitlistEntry.objects.create(run=run, program=program, application=app, position=1, rank=1)


BUILDERS = {
    m.Application: application,
    m.LotteryRun: lottery_run,
    m.Offer: offer,
    m.WaitlistEntry: waitlist_entry,
}
