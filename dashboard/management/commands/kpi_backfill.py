"""Compute KPI snapshot history: ``manage.py kpi_backfill --from 2026-09-01 --to 2026-11-20 --every 7``."""

import datetime
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core import context
from core.choices import Source
from dashboard.services import kpi_snapshots_backfill
from district.models import District


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Give dates as YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = "Compute KPI snapshots for past dates (every KPI, every district, unless narrowed)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="First as-of date (YYYY-MM-DD).")
        parser.add_argument("--to", dest="end", required=True, help="Last as-of date (YYYY-MM-DD), not in the future.")
        parser.add_argument("--every", type=int, default=7, help="Days between dates (default 7).")
        parser.add_argument("--district", action="append", default=[], help="State LEA id; repeat for several.")
        parser.add_argument("--kpi", action="append", default=[], help="KPI key; repeat for several.")

    def handle(self, *args, **options):
        districts = None
        if options["district"]:
            districts = list(District.objects.filter(state_lea_id__in=options["district"]).order_by("pk"))
            missing = set(options["district"]) - {d.state_lea_id for d in districts}
            if missing:
                raise CommandError(f"No district with state LEA id {', '.join(sorted(missing))}.")
        started = time.monotonic()
        try:
            with context.acting(via=Source.SYSTEM):
                dates, rows = kpi_snapshots_backfill(
                    start=_date(options["start"]),
                    end=_date(options["end"]),
                    every_days=options["every"],
                    districts=districts,
                    keys=options["kpi"] or None,
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"{rows} snapshot(s) for {dates} date(s) in {time.monotonic() - started:.1f} s.")
