"""A slow sample report, for the worker fault tests (redelivery after a worker dies)."""

import os
import time

from reporting.registry import BuildResult, Output, Report, register

from .models import Widget


def build_slow(ctx):
    seconds = int(os.environ.get("OPS_SAMPLE_REPORT_SECONDS", "0"))
    for i in range(seconds):
        time.sleep(1)
        ctx.progress(int(100 * (i + 1) / (seconds + 1)), f"step {i + 1} of {seconds}")
    rows = Widget.objects.filter(school__district=ctx.district).count()
    return BuildResult(outputs=[Output("sample.csv", "csv", f"widgets\r\n{rows}\r\n".encode())])


register(
    Report(
        key="sample_slow",
        title="Sample slow report",
        department="sample",
        build=build_slow,
        formats=("csv",),
        levels=("district",),
        sources=(Widget,),
        default_as_of=lambda year: year.start_date,
    )
)
