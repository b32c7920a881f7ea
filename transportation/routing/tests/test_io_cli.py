"""Reading files, bad input naming its rows, the command line and the picture."""

import subprocess
import sys
from pathlib import Path

import pytest

from transportation.routing.__main__ import main
from transportation.routing.checker import check_solution
from transportation.routing.io import InputError, read_problem, read_solution, write_solution
from transportation.routing.model import Params, parse_bell
from transportation.routing.svg import render_svg

from .factories import route, solution, two_school_problem

SCHOOLS = "ID\tX\tY\tAMEARLY\tAMLATE\nA\t0\t0\t700\t720\nB\t3000\t0\t800\t830\n"
STOPS = (
    "ID\tX_COORD\tY_COORD\tEP_ID\tSTUDENT_COUNT\n"
    "A1\t0\t1000\tA\t4\nA2\t0\t500\tA\t5\nB1\t3000\t1000\tB\t6\nB2\t3000\t500\tB\t3\n"
)
SMALL = [
    "--capacity",
    "10",
    "--speed",
    "10",
    "--stop-time",
    "10",
    "--stop-time-per-student",
    "1",
    "--unload-time",
    "60",
    "--depot",
    "0",
    "0",
]


def write(tmp_path: Path, schools=SCHOOLS, stops=STOPS):
    (tmp_path / "Schools.txt").write_text(schools)
    (tmp_path / "Stops.txt").write_text(stops)
    return str(tmp_path / "Schools.txt"), str(tmp_path / "Stops.txt")


def test_parse_bell():
    assert parse_bell("710") == 7 * 3600 + 600
    assert parse_bell("7:10") == 7 * 3600 + 600
    assert parse_bell("945.0") == 9 * 3600 + 45 * 60
    for bad in ("7x", "760", "2500", "", "12345"):
        with pytest.raises(ValueError):
            parse_bell(bad)


def test_reads_the_benchmark_layout(tmp_path):
    problem = read_problem(*write(tmp_path), Params(max_ride=600))
    assert [s.id for s in problem.schools] == ["A", "B"]
    assert problem.schools[1].bell == 8 * 3600
    assert next((s.id, s.school, s.students) for s in problem.stops) == ("A1", "A", 4)


def test_missing_columns_are_named(tmp_path):
    files = write(tmp_path, stops=STOPS.replace("EP_ID", "SCHOOL"))
    with pytest.raises(InputError) as err:
        read_problem(*files)
    assert "missing column(s) EP_ID" in str(err.value)


def test_unknown_school_names_the_rows(tmp_path):
    stops = STOPS + "C1\t10\t10\tZZ\t2\nC2\t10\t10\tYY\t2\n"
    with pytest.raises(InputError) as err:
        read_problem(*write(tmp_path, stops=stops))
    text = str(err.value)
    assert "line 6 (ID C1): EP_ID ZZ is not a school" in text
    assert "line 7 (ID C2): EP_ID YY" in text


def test_stop_too_far_to_ride_alone_names_the_row(tmp_path):
    stops = STOPS + "FAR\t0\t90000\tA\t1\n"
    with pytest.raises(InputError) as err:
        read_problem(*write(tmp_path, stops=stops), Params(max_ride=2700))
    assert "line 6 (ID FAR)" in str(err.value)
    assert "over the 2700 s limit" in str(err.value)


def test_bad_values_and_duplicates(tmp_path):
    schools = SCHOOLS + "A\t1\t1\t900\t930\nC\tx\t0\t900\t930\nD\t0\t0\t9h\t930\n"
    stops = STOPS + "A1\t0\t100\tA\t1\nE1\t0\t100\tA\t-2\nE2\t0\t100\tA\tmany\n"
    with pytest.raises(InputError) as err:
        read_problem(*write(tmp_path, schools=schools, stops=stops))
    text = str(err.value)
    for needle in (
        "Schools.txt line 4 (ID A): duplicate",
        "Schools.txt line 5 (ID C)",
        "Schools.txt line 6 (ID D)",
        "Stops.txt line 6 (ID A1): duplicate",
        "Stops.txt line 7 (ID E1)",
        "Stops.txt line 8 (ID E2)",
    ):
        assert needle in text


def test_solution_round_trip_with_split_shares(tmp_path):
    problem = two_school_problem()
    plan = solution([route("A", "A1", "A2", problem=problem), route("B", "B1", "B2", shares=[6, 3])])
    path = tmp_path / "plan.csv"
    write_solution(path, problem, plan)
    assert path.read_text().splitlines()[1] == "1,1,A,A1 A2"
    assert read_solution(path, problem) == plan
    split = solution(
        [route("A", "A1", "A2", problem=problem), route("B", "B2", problem=problem)],
        [route("B", "B1", shares=[4])],
        [route("B", "B1", shares=[2])],
    )
    write_solution(path, problem, split)
    assert "B1:4" in path.read_text()
    assert read_solution(path, problem) == split


def test_cli_writes_a_checked_plan_and_prints_the_bus_count(tmp_path, capsys):
    schools, stops = write(tmp_path)
    out, svg = tmp_path / "plan.csv", tmp_path / "plan.svg"
    code = main(
        [schools, stops, "--max-ride", "600", "--time-limit", "1", "--out", str(out), "--svg", str(svg), *SMALL]
    )
    assert code == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1] == "1"
    assert out.read_text().splitlines()[0] == "bus,order,school,stops"
    problem = read_problem(
        schools,
        stops,
        Params(
            capacity=10, speed=10, stop_time=10, stop_time_per_student=1, unload_time=60, max_ride=600, depot=(0, 0)
        ),
    )
    assert check_solution(problem, read_solution(out, problem)).ok
    assert svg.read_text().startswith("<svg")


def test_cli_bad_input_exits_non_zero_and_writes_nothing(tmp_path, capsys):
    schools, stops = write(tmp_path, stops=STOPS + "C1\t10\t10\tZZ\t2\n")
    out = tmp_path / "plan.csv"
    code = main([schools, stops, "--max-ride", "600", "--out", str(out), *SMALL])
    assert code != 0
    assert not out.exists()
    assert "line 6 (ID C1)" in capsys.readouterr().err


def test_cli_as_a_module(tmp_path):
    schools, stops = write(tmp_path)
    out = tmp_path / "plan.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "transportation.routing",
            schools,
            stops,
            "--max-ride",
            "600",
            "--time-limit",
            "1",
            "--out",
            str(out),
            "--quiet",
            *SMALL,
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[3],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "transportation.routing",
            schools,
            str(tmp_path / "nope.txt"),
            "--max-ride",
            "600",
            "--out",
            str(tmp_path / "x.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[3],
    )
    assert missing.returncode != 0 and "cannot read" in missing.stderr
    assert not (tmp_path / "x.csv").exists()


def test_svg_draws_every_bus_and_school():
    problem = two_school_problem()
    plan = solution([route("A", "A1", "A2", problem=problem)], [route("B", "B1", "B2", problem=problem)])
    picture = render_svg(problem, plan, "demo")
    assert picture.count("<g ") == 2
    assert "school A" in picture and "school B" in picture
    assert "2 buses, 2 routes" in picture
