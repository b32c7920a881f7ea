"""School-choice workflow pages: applications, lottery runs, offers, waitlists."""
urlpatterns: list = []
