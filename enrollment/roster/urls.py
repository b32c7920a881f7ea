"""Roster sync pages (OneRoster and plain imports); filled in by the roster work."""

urlpatterns: list = []
