"""The demo world as data: `read_world()` reads the TOML files of `data/` into frozen specs.

The files say who and what the demo holds (sites, people, programs, students, texts); the
loader (`loader.py`) says how they become rows. Each file is checked as it is read, so a
mistake in a file fails with its file name and entry (`sites.toml, sites[3] ("coulee")
.members[6] ("Gwen Tallman"): missing field 'role'`), not with a KeyError deep in the
loader or a half-loaded demo: fields are checked against the spec classes below (missing,
unknown, wrong type, a value outside its choices), then every name one entry gives of
another (a site's facilitators, a placement's site, unit and mentors, a quote's speaker)
is checked to exist.

People are named by their full name in every file, which must therefore be unique; their
email is made from the name unless the entry gives one (the demo's logins do). Every email
is at the demo's domain, which is nobody's: reminders the demo's follow-ups send reach no
real person.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from interviews.models import FollowUpStatus
from ipcop.lib.reference_data import PROFESSIONS, THEMES
from mentoring.models import Activity
from placements.models import PlacementModel, PlacementRequestStatus, PlacementStatus
from sites.models import HealthZone, InitiativeStatus, InitiativeTheme, MembershipRole, SiteKind

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_DOMAIN = "ipcop.example"


class DemoDataError(ValueError):
    """A demo data file is malformed; the message names the file and the entry."""


def email_for(full_name: str) -> str:
    local = full_name.lower().replace("'", "").replace(" ", ".").replace("-", "")
    return f"{local}@{DEMO_DOMAIN}"


# Allowed values of a field, given as field metadata and checked on read.
def _choices(values) -> dict:
    return {"choices": tuple(str(value) for value in values)}


PROFESSION = _choices(code for code, _ in PROFESSIONS)
THEME = _choices(name for name, _ in THEMES)


# --- Specs: one class per kind of entry, its fields the keys an entry may have ---------


@dataclass(frozen=True, kw_only=True)
class PersonSpec:
    name: str
    email: str = ""

    @property
    def address(self) -> str:
        return self.email or email_for(self.name)


@dataclass(frozen=True, kw_only=True)
class FacilitatorSpec(PersonSpec):
    profession: str = field(metadata=PROFESSION)
    phone: str = ""


@dataclass(frozen=True, kw_only=True)
class CoordinatorSpec(PersonSpec):
    """A program coordinator at a school: the programs they look after, by key."""

    profession: str = field(metadata=PROFESSION)
    programs: tuple[str, ...]  # keys, from programs.toml
    phone: str = ""


@dataclass(frozen=True, kw_only=True)
class MemberSpec(PersonSpec):
    """A clinician or manager in a site's CoP; days are counted from today."""

    profession: str = field(metadata=PROFESSION)
    role: str = field(metadata=_choices(MembershipRole))
    joined: int
    preceptor: bool = True
    left: int | None = None


@dataclass(frozen=True, kw_only=True)
class UnitSpec:
    name: str
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class InitiativeSpec:
    title: str
    theme: str = field(metadata=_choices(InitiativeTheme))
    status: str = field(metadata=_choices(InitiativeStatus))
    description: str
    started: int | None = None  # days from today; None for an idea
    ended: int | None = None
    outcome: str = ""


@dataclass(frozen=True, kw_only=True)
class SiteSpec:
    key: str
    name: str
    kind: str = field(metadata=_choices(SiteKind))
    zone: str = field(metadata=_choices(HealthZone))
    city: str
    address: str
    phone: str
    cop_name: str
    cop_focus: str
    cop_started: int  # days from today
    facilitators: tuple[str, ...]  # names, from people.toml
    capacity: dict[str, int] = field(metadata={"keys": PROFESSION["choices"]})
    units: tuple[UnitSpec, ...] = ()
    members: tuple[MemberSpec, ...] = ()
    initiatives: tuple[InitiativeSpec, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProgramSpec:
    key: str
    name: str
    institution: str
    profession: str = field(metadata=PROFESSION)
    midterm_evaluation: bool = False


@dataclass(frozen=True, kw_only=True)
class PlacementSpec:
    site: str  # a site's key
    model: str = field(metadata=_choices(PlacementModel))
    status: str = field(metadata=_choices(PlacementStatus))
    start: int  # days from today
    weeks: int
    unit: str | None = None
    primary: str = ""  # a member's name; chosen from the site's preceptors when empty
    ip_mentors: tuple[str, ...] = ()  # members' names; chosen at random when empty


@dataclass(frozen=True, kw_only=True)
class StudentSpec(PersonSpec):
    program: str
    placements: tuple[PlacementSpec, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RequestSpec:
    student: str  # a student's name
    site: str  # a site's key
    status: str = field(metadata=_choices(PlacementRequestStatus))
    # Days from today and weeks; an accepted request takes its placement's (the
    # student's placement at the site in students.toml).
    start: int | None = None
    weeks: int | None = None
    unit: str | None = None
    model: str = field(default="ip_mentoring", metadata=_choices(PlacementModel))
    notes: str = ""
    cohort: str = ""  # requests with the same cohort were made together
    reason: str = ""  # why the site declined
    proposed_start: int | None = None  # the site's proposal, for a proposed request
    proposed_unit: str | None = None


@dataclass(frozen=True, kw_only=True)
class OfferSpec:
    site: str
    profession: str = field(metadata=PROFESSION)
    start: int
    weeks: int
    places: int
    unit: str | None = None
    closed: bool = False


@dataclass(frozen=True, kw_only=True)
class AgendaSpec:
    topics: str
    decisions: str
    action_items: str


@dataclass(frozen=True, kw_only=True)
class QuoteSpec:
    said_by: str  # a person's name
    text: str
    theme: str = field(metadata=THEME)
    may_publish: bool


# --- Files: the top-level keys each file may hold ---------------------------------------


@dataclass(frozen=True, kw_only=True)
class PeopleFile:
    admin: PersonSpec
    facilitators: tuple[FacilitatorSpec, ...]
    coordinators: tuple[CoordinatorSpec, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SitesFile:
    sites: tuple[SiteSpec, ...]


@dataclass(frozen=True, kw_only=True)
class ProgramsFile:
    programs: tuple[ProgramSpec, ...]


@dataclass(frozen=True, kw_only=True)
class StudentsFile:
    students: tuple[StudentSpec, ...]


@dataclass(frozen=True, kw_only=True)
class RequestsFile:
    requests: tuple[RequestSpec, ...]
    offers: tuple[OfferSpec, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TextsFile:
    reflections: tuple[str, ...]
    meeting_agendas: tuple[AgendaSpec, ...]
    session_notes: dict[str, str] = field(metadata={"keys": _choices(Activity)["choices"]})
    speaker_nouns: dict[str, str] = field(metadata={"keys": PROFESSION["choices"]})


@dataclass(frozen=True, kw_only=True)
class FollowUpsFile:
    quotes: tuple[QuoteSpec, ...]
    # Follow-ups that ended without an interview, by person; every other one long due
    # was completed.
    exceptions: dict[str, str] = field(
        metadata=_choices([FollowUpStatus.DECLINED, FollowUpStatus.MISSED])
    )


@dataclass(frozen=True, kw_only=True)
class World:
    admin: PersonSpec
    facilitators: tuple[FacilitatorSpec, ...]
    coordinators: tuple[CoordinatorSpec, ...]
    sites: tuple[SiteSpec, ...]
    programs: tuple[ProgramSpec, ...]
    students: tuple[StudentSpec, ...]
    meeting_agendas: tuple[AgendaSpec, ...]
    session_notes: dict[str, str]  # activity: notes, "{pro}" standing for a professional
    reflections: tuple[str, ...]
    speaker_nouns: dict[str, str]  # profession code: "Nurse", "Pharmacist", ...
    quotes: tuple[QuoteSpec, ...]
    followup_exceptions: dict[str, str]  # name: follow-up status
    requests: tuple[RequestSpec, ...] = ()
    offers: tuple[OfferSpec, ...] = ()

    @property
    def emails(self) -> dict[str, str]:
        """Everyone's email, by name."""
        people = [self.admin, *self.facilitators, *self.coordinators, *self.students]
        people += [member for site in self.sites for member in site.members]
        return {person.name: person.address for person in people}


# --- Reading ---------------------------------------------------------------------------


def read_world(directory: Path | None = None) -> World:
    """Read and check the demo data files of `directory` (default: `data/`)."""
    directory = directory or DATA_DIR
    people = _read(directory, "people.toml", PeopleFile)
    sites = _read(directory, "sites.toml", SitesFile)
    programs = _read(directory, "programs.toml", ProgramsFile)
    students = _read(directory, "students.toml", StudentsFile)
    texts = _read(directory, "texts.toml", TextsFile)
    followups = _read(directory, "followups.toml", FollowUpsFile)
    requests = _read(directory, "requests.toml", RequestsFile)
    world = World(
        admin=people.admin,
        facilitators=people.facilitators,
        coordinators=people.coordinators,
        sites=sites.sites,
        programs=programs.programs,
        students=students.students,
        meeting_agendas=texts.meeting_agendas,
        session_notes=texts.session_notes,
        reflections=texts.reflections,
        speaker_nouns=texts.speaker_nouns,
        quotes=followups.quotes,
        followup_exceptions=followups.exceptions,
        requests=requests.requests,
        offers=requests.offers,
    )
    _check_references(world)
    return world


def _read(directory: Path, name: str, schema: type):
    path = directory / name
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError:
        raise DemoDataError(f"{name}: missing from {directory}") from None
    except tomllib.TOMLDecodeError as error:
        raise DemoDataError(f"{name}: not valid TOML: {error}") from None
    return _build(schema, document, name, "")


def _label(table: dict) -> str:
    for key in ("key", "name", "title", "said_by"):
        if isinstance(table.get(key), str):
            return f' ("{table[key]}")'
    return ""


def _where(file: str, path: str) -> str:
    return f"{file}, {path}" if path else file


def _build(cls: type, table, file: str, path: str):
    """Make a `cls` from a TOML table, or fail naming the file and the entry."""
    if not isinstance(table, dict):
        raise DemoDataError(f"{_where(file, path)}: expected a table, not {table!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(table.keys() - fields.keys())
    if unknown:
        raise DemoDataError(
            f"{_where(file, path)}: unknown field {', '.join(map(repr, unknown))} "
            f"(expected: {', '.join(fields)})"
        )
    for name, spec_field in fields.items():
        required = (
            spec_field.default is dataclasses.MISSING
            and spec_field.default_factory is dataclasses.MISSING
        )
        if name not in table and required:
            raise DemoDataError(f"{_where(file, path)}: missing field {name!r}")
    values = {
        name: _value(hints[name], value, file, f"{path}.{name}" if path else name, fields[name])
        for name, value in table.items()
    }
    return cls(**values)


def _value(kind, value, file: str, path: str, spec_field: dataclasses.Field):
    where = _where(file, path)
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is types.UnionType:  # `X | None`: TOML has no null, an absent key is None
        (kind,) = [arg for arg in args if arg is not type(None)]
        origin, args = typing.get_origin(kind), typing.get_args(kind)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _build(kind, value, file, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise DemoDataError(f"{where}: expected a list, not {value!r}")
        return tuple(
            _value(
                args[0],
                item,
                file,
                f"{path}[{index}]{_label(item) if isinstance(item, dict) else ''}",
                spec_field,
            )
            for index, item in enumerate(value)
        )
    if origin is dict:
        if not isinstance(value, dict):
            raise DemoDataError(f"{where}: expected a table, not {value!r}")
        keys = spec_field.metadata.get("keys")
        for key in value:
            if keys is not None and key not in keys:
                raise DemoDataError(
                    f"{where}: unknown key {key!r} (expected one of: {', '.join(keys)})"
                )
        return {
            key: _value(args[1], item, file, f"{path}.{key}", spec_field)
            for key, item in value.items()
        }
    # bool is an int in Python; neither stands for the other in a data file.
    if type(value) is not kind:
        expected = {str: "text", int: "a whole number", bool: "true or false"}[kind]
        raise DemoDataError(f"{where}: expected {expected}, not {value!r}")
    choices = spec_field.metadata.get("choices")
    if choices is not None and value not in choices:
        raise DemoDataError(f"{where}: {value!r} is not one of {', '.join(choices)}")
    return value


def _entry(path: str, index: int, label: str) -> str:
    return f'{path}[{index}] ("{label}")'


def _check_references(world: World) -> None:
    """Every name an entry gives of another entry exists, and keys are unique."""

    def fail(file: str, message: str) -> typing.NoReturn:
        raise DemoDataError(f"{file}, {message}")

    people = [("people.toml", "admin", world.admin)]
    people += [
        ("people.toml", _entry("facilitators", i, f.name), f)
        for i, f in enumerate(world.facilitators)
    ]
    people += [
        ("people.toml", _entry("coordinators", i, c.name), c)
        for i, c in enumerate(world.coordinators)
    ]
    for i, site in enumerate(world.sites):
        people += [
            (
                "sites.toml",
                _entry(f"{_entry('sites', i, site.key)}.members", j, member.name),
                member,
            )
            for j, member in enumerate(site.members)
        ]
    people += [
        ("students.toml", _entry("students", i, s.name), s) for i, s in enumerate(world.students)
    ]
    for file, path, person in people:
        if not person.address.endswith(f"@{DEMO_DOMAIN}"):
            fail(file, f"{path}.email: {person.address!r} is not at @{DEMO_DOMAIN}")
    for what, attribute in (("name", "name"), ("email", "address")):
        seen: dict[str, str] = {}
        for file, path, person in people:
            value = getattr(person, attribute)
            if value in seen:
                fail(file, f"{path}: {what} {value!r} is already given at {seen[value]}")
            seen[value] = f"{file}, {path}"

    for file, entries in (("sites.toml", world.sites), ("programs.toml", world.programs)):
        keys = Counter(entry.key for entry in entries)
        repeated = [key for key, n in keys.items() if n > 1]
        if repeated:
            fail(file, f"key {repeated[0]!r} is given to more than one entry")

    facilitators = {f.name for f in world.facilitators}
    sites = {site.key: site for site in world.sites}
    for i, site in enumerate(world.sites):
        where = _entry("sites", i, site.key)
        for name in site.facilitators:
            if name not in facilitators:
                fail("sites.toml", f"{where}.facilitators: {name!r} is not in people.toml")
        for j, member in enumerate(site.members):
            if member.profession not in world.speaker_nouns:
                fail(
                    "texts.toml",
                    f"speaker_nouns: no noun for {member.profession!r}, the profession of "
                    f"sites.toml, {_entry(f'{where}.members', j, member.name)}",
                )

    programs = {program.key for program in world.programs}
    for i, coordinator in enumerate(world.coordinators):
        where = _entry("coordinators", i, coordinator.name)
        for key in coordinator.programs:
            if key not in programs:
                fail("people.toml", f"{where}.programs: {key!r} is not in programs.toml")
    for i, student in enumerate(world.students):
        where = _entry("students", i, student.name)
        if student.program not in programs:
            fail("students.toml", f"{where}.program: {student.program!r} is not in programs.toml")
        # The loader tells a student's placements apart by their site.
        repeated = [key for key, n in Counter(p.site for p in student.placements).items() if n > 1]
        if repeated:
            fail("students.toml", f"{where}: more than one placement at {repeated[0]!r}")
        for j, placement in enumerate(student.placements):
            at = f"{where}.placements[{j}]"
            placed_at = sites.get(placement.site)
            if placed_at is None:
                fail("students.toml", f"{at}.site: {placement.site!r} is not in sites.toml")
            units = {u.name for u in placed_at.units}
            if placement.unit is not None and placement.unit not in units:
                fail(
                    "students.toml", f"{at}.unit: {placed_at.key!r} has no unit {placement.unit!r}"
                )
            members = {member.name for member in placed_at.members}
            for name in (placement.primary, *placement.ip_mentors):
                if name and name not in members:
                    fail(
                        "students.toml", f"{at}: mentor {name!r} is no member at {placed_at.key!r}"
                    )

    missing = [activity for activity in Activity.values if activity not in world.session_notes]
    if missing:
        fail("texts.toml", f"session_notes: no notes for {', '.join(missing)}")
    for activity, notes in world.session_notes.items():
        try:
            notes.format(pro="the nurse")
        except (KeyError, IndexError, ValueError):
            fail("texts.toml", f"session_notes.{activity}: only {{pro}} may stand in braces")

    _check_requests(world, fail)

    names = world.emails
    for i, quote in enumerate(world.quotes):
        if quote.said_by not in names:
            where = _entry("quotes", i, quote.said_by)
            fail("followups.toml", f"{where}.said_by: nobody in the demo has that name")
    for name in world.followup_exceptions:
        if name not in names:
            fail("followups.toml", f"exceptions.{name}: nobody in the demo has that name")


def _check_requests(world: World, fail: Callable[[str, str], typing.NoReturn]) -> None:
    """A request names a student, a site and its units; an accepted one, the student's
    placement there; the others, their period."""
    students = {student.name: student for student in world.students}
    sites = {site.key: site for site in world.sites}
    seen: set[tuple[str, str]] = set()
    for i, request in enumerate(world.requests):
        where = _entry("requests", i, request.student)
        student = students.get(request.student)
        if student is None:
            fail("requests.toml", f"{where}.student: {request.student!r} is not in students.toml")
        site = sites.get(request.site)
        if site is None:
            fail("requests.toml", f"{where}.site: {request.site!r} is not in sites.toml")
        # The loader tells a student's requests apart by their site.
        if (request.student, request.site) in seen:
            fail("requests.toml", f"{where}: more than one request at {request.site!r}")
        seen.add((request.student, request.site))
        units = {unit.name for unit in site.units}
        for unit in (request.unit, request.proposed_unit):
            if unit is not None and unit not in units:
                fail("requests.toml", f"{where}: {site.key!r} has no unit {unit!r}")
        placed = [p for p in student.placements if p.site == request.site]
        if request.status == PlacementRequestStatus.ACCEPTED:
            if not placed or placed[0].status not in ("confirmed", "active", "completed"):
                fail("requests.toml", f"{where}: accepted, but the student has no placement "
                     f"holding a place at {request.site!r} in students.toml")  # fmt: skip
        elif request.start is None or request.weeks is None:
            fail("requests.toml", f"{where}: give its start and weeks")
        if request.status == PlacementRequestStatus.DECLINED and not request.reason:
            fail("requests.toml", f"{where}: declined, but no reason")
        if request.status == PlacementRequestStatus.PROPOSED and request.proposed_start is None:
            fail("requests.toml", f"{where}: proposed, but no proposed_start")
    for i, offer in enumerate(world.offers):
        site = sites.get(offer.site)
        where = f"offers[{i}]"
        if site is None:
            fail("requests.toml", f"{where}.site: {offer.site!r} is not in sites.toml")
        if offer.unit is not None and offer.unit not in {unit.name for unit in site.units}:
            fail("requests.toml", f"{where}.unit: {site.key!r} has no unit {offer.unit!r}")
