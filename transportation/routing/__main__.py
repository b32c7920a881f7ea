"""Command line: ``python -m transportation.routing SCHOOLS STOPS --max-ride S --out FILE``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .engine import solve
from .io import InputError, read_problem, write_solution
from .model import Params
from .svg import render_svg


def build_parser() -> argparse.ArgumentParser:
    defaults = Params()
    parser = argparse.ArgumentParser(
        prog="python -m transportation.routing",
        description="Plan morning school bus routes and buses. Prints a summary; the last line is the number of buses.",
    )
    parser.add_argument("schools", help="tab-separated schools file (ID, X, Y, AMEARLY)")
    parser.add_argument("stops", help="tab-separated stops file (ID, X_COORD, Y_COORD, EP_ID, STUDENT_COUNT)")
    parser.add_argument(
        "--max-ride", type=float, required=True, metavar="SECONDS", help="longest ride a student may have"
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="SOLUTION.csv",
        help="where to write one row per route (bus, order, school, stops)",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS", help="search time (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--work",
        type=float,
        default=None,
        metavar="UNITS",
        help="fixed effort in work units instead of one derived from the time "
        "limit, to repeat a run exactly on a busy machine",
    )
    parser.add_argument("--svg", metavar="FILE", help="also draw the buses' routes as SVG")
    parser.add_argument("--capacity", type=int, default=defaults.capacity)
    parser.add_argument("--speed", type=float, default=defaults.speed, metavar="FT_PER_S")
    parser.add_argument("--stop-time", type=float, default=defaults.stop_time, metavar="SECONDS")
    parser.add_argument(
        "--stop-time-per-student", type=float, default=defaults.stop_time_per_student, metavar="SECONDS"
    )
    parser.add_argument("--unload-time", type=float, default=defaults.unload_time, metavar="SECONDS")
    parser.add_argument(
        "--early-arrival",
        type=float,
        default=defaults.early_arrival,
        metavar="SECONDS",
        help="how long before the bell a route may arrive (default 0)",
    )
    parser.add_argument("--depot", type=float, nargs=2, default=defaults.depot, metavar=("X", "Y"))
    parser.add_argument("--quiet", action="store_true", help="print only the bus count")
    return parser


def _write_text_atomically(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=".routing-", suffix=".svg", dir=path.parent if str(path.parent) else ".")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temp, path)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        params = Params(
            capacity=args.capacity,
            speed=args.speed,
            stop_time=args.stop_time,
            stop_time_per_student=args.stop_time_per_student,
            unload_time=args.unload_time,
            max_ride=args.max_ride,
            depot=tuple(args.depot),
            early_arrival=args.early_arrival,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.time_limit <= 0:
        print("error: --time-limit must be positive", file=sys.stderr)
        return 2
    for target in filter(None, (args.out, args.svg)):
        parent = Path(target).parent
        if str(parent) and not parent.is_dir():
            print(f"error: folder {parent} does not exist", file=sys.stderr)
            return 2
    try:
        problem = read_problem(args.schools, args.stops, params)
    except InputError as exc:
        print(f"error: bad input, nothing written:\n{exc}", file=sys.stderr)
        return 2
    log = None if args.quiet else (lambda msg: print(msg, flush=True))
    result = solve(problem, time_limit=args.time_limit, seed=args.seed, log=log, work=args.work)
    write_solution(args.out, problem, result.solution)
    if args.svg:
        title = Path(args.schools).parent.name or "routes"
        _write_text_atomically(Path(args.svg), render_svg(problem, result.solution, title))
    if not args.quiet:
        print(result.report.summary())
        if result.stats.get("cut_by_clock"):
            print("note: the wall clock ended the search early; another run may differ")
        print(f"wrote {args.out}" + (f" and {args.svg}" if args.svg else ""))
    print(result.solution.bus_count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
