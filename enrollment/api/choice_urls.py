"""School-choice workflow API actions, under /api/enrollment/choice/.

- ``POST applications/`` submits an application; ``POST applications/{id}/choices/``,
  ``.../withdraw/`` and ``.../priority/`` change it;
- ``POST windows/{id}/run-lottery/`` and ``windows/{id}/compute-priorities/``;
- ``POST offers/{id}/accept/`` and ``offers/{id}/decline/``.
"""

from rest_framework.routers import SimpleRouter

from . import choice as v

router = SimpleRouter()
router.register("applications", v.ChoiceApplicationViewSet, basename="choice-application")
router.register("windows", v.ChoiceWindowViewSet, basename="choice-window")
router.register("offers", v.ChoiceOfferViewSet, basename="choice-offer")
urlpatterns = router.urls
