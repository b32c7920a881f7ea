"""Plain data types of the morning school bus problem.

Times are seconds after midnight, distances feet, speeds feet per second.
Travel is Manhattan distance at a constant speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: 20 miles per hour in feet per second.
MPH_20 = 88.0 / 3.0


@dataclass(frozen=True)
class Params:
    """Operating rules; every value can be set from a district's own practice."""

    capacity: int = 66
    speed: float = MPH_20
    stop_time: float = 19.0
    stop_time_per_student: float = 2.6
    unload_time: float = 154.4
    max_ride: float = 2700.0
    depot: tuple[float, float] = (105_600.0, 105_600.0)
    #: How long before its bell a route may reach its school.  0 (the
    #: benchmark's rule) means buses arrive at the bell and leave a school no
    #: earlier than bell + unload_time.  Without a lower bound any set of
    #: routes could be run back to back by one bus hours before school.
    early_arrival: float = 0.0

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError("capacity must be at least 1")
        if self.speed <= 0:
            raise ValueError("speed must be positive")
        if min(self.stop_time, self.stop_time_per_student, self.unload_time) < 0:
            raise ValueError("stop and unload times cannot be negative")
        if self.max_ride <= 0:
            raise ValueError("max_ride must be positive")
        if self.early_arrival < 0:
            raise ValueError("early_arrival cannot be negative")

    def travel(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        return (abs(a[0] - b[0]) + abs(a[1] - b[1])) / self.speed

    def dwell(self, students: int) -> float:
        return self.stop_time + self.stop_time_per_student * students


@dataclass(frozen=True)
class School:
    id: str
    x: float
    y: float
    #: Bell time: the latest arrival, seconds after midnight.
    bell: float

    @property
    def xy(self) -> tuple[float, float]:
        return (self.x, self.y)


@dataclass(frozen=True)
class Stop:
    id: str
    x: float
    y: float
    school: str
    students: int

    @property
    def xy(self) -> tuple[float, float]:
        return (self.x, self.y)


@dataclass(frozen=True)
class Problem:
    schools: tuple[School, ...]
    stops: tuple[Stop, ...]
    params: Params = field(default_factory=Params)

    def school_by_id(self) -> dict[str, School]:
        return {s.id: s for s in self.schools}

    def stop_by_id(self) -> dict[str, Stop]:
        return {s.id: s for s in self.stops}


@dataclass(frozen=True)
class Pickup:
    """Students boarding at one stop; ``students`` is the whole stop unless split."""

    stop: str
    students: int


@dataclass(frozen=True)
class Route:
    """One run to one school: pick-ups in order, then the school."""

    school: str
    pickups: tuple[Pickup, ...]


@dataclass(frozen=True)
class Solution:
    """Buses, each a sequence of routes driven one after another."""

    buses: tuple[tuple[Route, ...], ...]

    @property
    def bus_count(self) -> int:
        return len(self.buses)

    @property
    def route_count(self) -> int:
        return sum(len(b) for b in self.buses)


def parse_bell(value: str) -> float:
    """``"710"`` or ``"7:10"`` to seconds after midnight; ``ValueError`` if malformed."""
    text = str(value).strip()
    if ":" in text:
        hours_text, minutes_text = text.split(":", 1)
    else:
        if "." in text:
            whole, _, frac = text.partition(".")
            if frac.strip("0"):
                raise ValueError(f"not a time: {value!r}")
            text = whole
        if not text.isdigit() or not 1 <= len(text) <= 4:
            raise ValueError(f"not a time: {value!r}")
        hours_text, minutes_text = text[:-2] or "0", text[-2:]
    if not (hours_text.isdigit() and minutes_text.isdigit()):
        raise ValueError(f"not a time: {value!r}")
    hours, minutes = int(hours_text), int(minutes_text)
    if hours > 23 or minutes > 59:
        raise ValueError(f"not a time: {value!r}")
    return hours * 3600.0 + minutes * 60.0


def format_clock(seconds: float) -> str:
    total = round(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
