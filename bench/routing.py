"""School bus routing benchmark: our buses beside the published counts.

    python -m bench.routing [--time-limit 120] [--instances CSCB01,CSCB02] [--limits 2700,5400]

Solves every instance in the benchmark folder at each ride limit, checks each
plan with the independent checker, and prints one row per run with the
published `LBH`, `Chen` and best (`combined`) bus counts, then the totals.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from transportation.routing import Params, check_solution, read_problem, solve, write_solution

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "school-bus-routing"
PUBLISHED = ("LBH", "Chen", "combined")


def published_counts(data: Path) -> dict[tuple[str, float], dict[str, int]]:
    table: dict[tuple[str, float], dict[str, int]] = {}
    path = data / "published-buses.csv"
    if not path.exists():
        return table
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["benchmark"], float(row["max_riding_time"]))
            table.setdefault(key, {})[row["exp_name"]] = int(row["buses"])
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.routing", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"benchmark folder (default {DEFAULT_DATA})")
    parser.add_argument("--instances", default="", help="comma-separated instance names (default: every CSCB* folder)")
    parser.add_argument("--limits", default="2700,5400", help="ride limits in seconds")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per instance and limit (default 120)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="folder to write each plan as INSTANCE-LIMIT.csv")
    args = parser.parse_args(argv)

    if not args.data.is_dir():
        print(f"error: no benchmark folder at {args.data}", file=sys.stderr)
        return 2
    names = [n for n in args.instances.split(",") if n] or sorted(
        p.name for p in args.data.iterdir() if p.is_dir() and (p / "Stops.txt").exists()
    )
    limits = [float(x) for x in args.limits.split(",") if x]
    published = published_counts(args.data)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)

    header = ("instance", "limit", "ours", "LBH", "Chen", "combined", "vs best", "routes", "miles", "seconds")
    print(f"time limit {args.time_limit:.0f} s per run, seed {args.seed}")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" --- " for _ in header) + "|")
    totals = {"ours": 0, **dict.fromkeys(PUBLISHED, 0)}
    failures = []
    for limit in limits:
        for name in names:
            folder = args.data / name
            problem = read_problem(folder / "Schools.txt", folder / "Stops.txt", Params(max_ride=limit))
            started = time.monotonic()
            result = solve(problem, time_limit=args.time_limit, seed=args.seed)
            seconds = time.monotonic() - started
            report = check_solution(problem, result.solution)
            if not report.ok:
                failures.append(f"{name} {limit:.0f}: {report.summary()}")
            if args.out:
                write_solution(args.out / f"{name}-{limit:.0f}.csv", problem, result.solution)
            ours = result.solution.bus_count
            known = published.get((name, limit), {})
            cells = [known.get(p) for p in PUBLISHED]
            best = known.get("combined")
            totals["ours"] += ours
            for p, value in zip(PUBLISHED, cells):
                totals[p] += value or 0
            delta = "" if best is None else f"{ours - best:+d}"
            row = [name, f"{limit:.0f}", str(ours)] + ["" if c is None else str(c) for c in cells]
            row += [delta, str(result.solution.route_count), f"{report.distance / 5280:.0f}", f"{seconds:.0f}"]
            print("| " + " | ".join(row) + " |", flush=True)
    best_total = totals["combined"]
    print(
        f"| total | | {totals['ours']} | {totals['LBH']} | {totals['Chen']} | {best_total} | "
        f"{totals['ours'] - best_total:+d} | | | |"
    )
    if best_total:
        print(f"ours / published best = {totals['ours'] / best_total:.3f}")
    for failure in failures:
        print(f"INFEASIBLE {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
