"""School-choice workflow API actions."""

urlpatterns: list = []
