"""School-choice workflow pages: a window's lottery page, running the lottery, computing priorities.

Applications, runs and offers have their pages through the registry
(``enrollment/pages.py`` points their add, detail and answer pages at
``choice_views``); these are the window's own pages.
"""

from django.urls import path

from core.registry import pages

from . import choice_views as v
from . import pages as _registered  # noqa: F401 - the registry must be filled before it is read
from .models import ApplicantPriority, ApplicationWindow, LotteryRun

urlpatterns = [
    path("windows/", v.ChoiceWindowsView.as_view(pages=pages.for_model(LotteryRun)), name="choice_windows"),
    path(
        "windows/<int:pk>/", v.WindowChoiceView.as_view(pages=pages.for_model(ApplicationWindow)), name="choice_window"
    ),
    path("windows/<int:pk>/run/", v.LotteryRunCreateView.as_view(pages=pages.for_model(LotteryRun)), name="choice_run"),
    path(
        "windows/<int:pk>/priorities/",
        v.PrioritiesComputeView.as_view(pages=pages.for_model(ApplicantPriority)),
        name="choice_priorities",
    ),
]
