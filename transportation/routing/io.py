"""Reading the benchmark's tab-separated files and writing solutions.

Every problem found in the input is collected, so one message names all the
offending rows instead of stopping at the first.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from pathlib import Path

from .model import Params, Pickup, Problem, Route, School, Solution, Stop, parse_bell

SCHOOL_COLUMNS = ("ID", "X", "Y", "AMEARLY")
STOP_COLUMNS = ("ID", "X_COORD", "Y_COORD", "EP_ID", "STUDENT_COUNT")
SOLUTION_COLUMNS = ("bus", "order", "school", "stops")
MAX_LISTED = 20


class InputError(ValueError):
    """Bad input; ``problems`` holds one line of text per offending row or column."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_LISTED]
        more = len(problems) - len(shown)
        text = "\n".join(shown)
        if more:
            text += f"\n... and {more} more"
        super().__init__(text)


def _read_table(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError([f"{path}: cannot read ({exc.strerror or exc})"]) from exc
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError([f"{path}: empty file, expected a header with {', '.join(required)}"])
    delimiter = "\t" if "\t" in lines[0] or "," not in lines[0] else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError([f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(header)})"])
    rows = []
    for line_no, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        values = values + [""] * (len(header) - len(values))
        rows.append((line_no, {h: v.strip() for h, v in zip(header, values)}))
    return rows


def _number(value: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def read_problem(
    schools_path: str | os.PathLike, stops_path: str | os.PathLike, params: Params | None = None
) -> Problem:
    """Load and validate a problem; raise ``InputError`` naming every bad row."""
    params = params or Params()
    schools_path, stops_path = Path(schools_path), Path(stops_path)
    problems: list[str] = []

    schools: dict[str, School] = {}
    for line_no, row in _read_table(schools_path, SCHOOL_COLUMNS):
        where = f"{schools_path.name} line {line_no} (ID {row['ID'] or '?'})"
        try:
            school = School(row["ID"], _number(row["X"]), _number(row["Y"]), parse_bell(row["AMEARLY"]))
        except ValueError:
            problems.append(f"{where}: X, Y must be numbers and AMEARLY a time such as 710")
            continue
        if not school.id:
            problems.append(f"{where}: empty ID")
        elif school.id in schools:
            problems.append(f"{where}: duplicate school ID")
        else:
            schools[school.id] = school
    if not schools and not problems:
        problems.append(f"{schools_path.name}: no schools")

    stops: dict[str, Stop] = {}
    for line_no, row in _read_table(stops_path, STOP_COLUMNS):
        where = f"{stops_path.name} line {line_no} (ID {row['ID'] or '?'})"
        try:
            count_value = _number(row["STUDENT_COUNT"])
            stop = Stop(row["ID"], _number(row["X_COORD"]), _number(row["Y_COORD"]), row["EP_ID"], int(count_value))
        except ValueError:
            problems.append(f"{where}: X_COORD, Y_COORD and STUDENT_COUNT must be numbers")
            continue
        if count_value != stop.students or stop.students < 1:
            problems.append(f"{where}: STUDENT_COUNT must be a whole number of at least 1")
            continue
        if not stop.id:
            problems.append(f"{where}: empty ID")
            continue
        if stop.id in stops:
            problems.append(f"{where}: duplicate stop ID")
            continue
        if ":" in stop.id or " " in stop.id:
            problems.append(f"{where}: stop IDs cannot contain ':' or spaces")
            continue
        school = schools.get(stop.school)
        if school is None:
            problems.append(f"{where}: EP_ID {stop.school or '(empty)'} is not a school in {schools_path.name}")
            continue
        alone = params.travel(stop.xy, school.xy)
        if alone > params.max_ride:
            problems.append(
                f"{where}: even alone its students ride {alone:.0f} s to school {school.id}, "
                f"over the {params.max_ride:.0f} s limit"
            )
            continue
        stops[stop.id] = stop
    if not stops and not problems:
        problems.append(f"{stops_path.name}: no stops")
    if problems:
        raise InputError(problems)
    return Problem(tuple(schools.values()), tuple(stops.values()), params)


def format_pickups(route: Route, stops: dict[str, Stop]) -> str:
    parts = []
    for p in route.pickups:
        whole = stops[p.stop].students if p.stop in stops else None
        parts.append(p.stop if p.students == whole else f"{p.stop}:{p.students}")
    return " ".join(parts)


def solution_rows(problem: Problem, solution: Solution) -> list[dict[str, str]]:
    stops = problem.stop_by_id()
    rows = []
    for bus_no, bus in enumerate(solution.buses, start=1):
        for order, route in enumerate(bus, start=1):
            rows.append(
                {"bus": str(bus_no), "order": str(order), "school": route.school, "stops": format_pickups(route, stops)}
            )
    return rows


def write_solution(path: str | os.PathLike, problem: Problem, solution: Solution) -> None:
    """Write the CSV atomically: the file appears whole or not at all."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    handle, temp_name = tempfile.mkstemp(prefix=".routing-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=SOLUTION_COLUMNS)
            writer.writeheader()
            writer.writerows(solution_rows(problem, solution))
        os.replace(temp_name, path)
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise


def read_solution(path: str | os.PathLike, problem: Problem) -> Solution:
    """Read a solution CSV back; a stop written without ``:N`` carries all its students."""
    path = Path(path)
    stops = problem.stop_by_id()
    rows = _read_table(path, SOLUTION_COLUMNS)
    problems = []
    buses: dict[int, dict[int, Route]] = {}
    for line_no, row in rows:
        try:
            bus, order = int(row["bus"]), int(row["order"])
            pickups = []
            for token in row["stops"].split():
                stop_id, _, count = token.partition(":")
                if count:
                    students = int(count)
                elif stop_id in stops:
                    students = stops[stop_id].students
                else:
                    students = 0
                pickups.append(Pickup(stop_id, students))
        except ValueError:
            problems.append(f"{path.name} line {line_no}: bus and order must be whole numbers and shares written ID:N")
            continue
        if order in buses.setdefault(bus, {}):
            problems.append(f"{path.name} line {line_no}: bus {bus} has order {order} twice")
            continue
        buses[bus][order] = Route(row["school"], tuple(pickups))
    if problems:
        raise InputError(problems)
    return Solution(tuple(tuple(r for _, r in sorted(b.items())) for _, b in sorted(buses.items())))
