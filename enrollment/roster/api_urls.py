"""Roster sync API endpoints (upserts keyed by state id or external id)."""

urlpatterns: list = []
