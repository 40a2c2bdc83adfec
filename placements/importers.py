"""Import of students and placements from CSV or Excel (.xlsx) files: parse, preview,
confirm.

Both steps run the same code through the same services, inside one transaction: the
preview rolls it back, the confirmation commits it only if every row passed. So the
preview shows exactly what the confirmation will do (including a file whose rows compete
for the last place of a site), a file with any bad row changes nothing, and a row that
matches what is already stored is "unchanged" (re-importing a file changes nothing).

The stdlib csv reader is used rather than tablib because tablib skips blank lines, and
then the line numbers we report would not match the ones the spreadsheet shows. An .xlsx
is read with openpyxl into the same numbered rows (the sheet's row numbers), so both
formats go through the same checks.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import openpyxl
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.identifiers import clean_header_text, confusable_error, normalise_email
from placements import services
from placements.models import (
    Placement,
    PlacementModel,
    PlacementStatus,
    Program,
    Student,
)
from sites.models import Unit

MAX_BYTES = 1_000_000
MAX_ROWS = 5000
# A zip of 1 MB can unpack to about 1 GB, and openpyxl reads a workbook's shared strings
# whole even in read-only mode: the unpacked size is checked before it opens the file.
MAX_XLSX_UNPACKED_BYTES = 20_000_000
# Columns read from a sheet (the widest kind has 11): one stray cell far to the right
# would otherwise make openpyxl pad every row to its width.
MAX_SHEET_COLUMNS = 50

# An .xlsx is a zip archive: a file starts with its first member (an empty archive with
# its end record), which no CSV does.
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# An .xls, and any password-protected workbook (.xlsx too), is an OLE compound file.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


STUDENT_COLUMNS = (
    Column("email", True, "The student's email address; it identifies the person."),
    Column("full_name", True, "Used only when the person has no account yet."),
    Column("program", True, "The program's name, as in IPCoP (e.g. BScN)."),
    Column("institution", False, "Needed only when two institutions have a program of that name."),
    Column("student_number", False, "Unique within the program. Blank leaves it as it is."),
    Column("cohort_year", False, "A year such as 2026. Blank leaves it as it is."),
)

PLACEMENT_COLUMNS = (
    Column("student_email", False, "The student's email; give it or student_number."),
    Column("student_number", False, "The student number in the program."),
    Column("program", False, "Needed when the student is enrolled in several programs."),
    Column("site", True, "The site's name, one of the sites you facilitate."),
    Column("unit", False, "A unit of that site, by name."),
    Column("start_date", True, "YYYY-MM-DD. With student and site it identifies the placement."),
    Column("end_date", True, "YYYY-MM-DD, not before the start."),
    Column("model", False, "ip_mentoring (default) or traditional."),
    Column("status", False, "requested (default), confirmed or active; never moves back."),
    Column("contact_email", False, "Whom the student contacts at the site; an existing account."),
    Column("notes", False, "Free text."),
)

COLUMNS = {"students": STUDENT_COLUMNS, "placements": PLACEMENT_COLUMNS}
KINDS = {"students": "Students", "placements": "Placements"}


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, size, columns)."""


@dataclass
class RowResult:
    line: int
    action: str = ""  # "create", "update", "unchanged"
    summary: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    kind: str
    rows: list[RowResult]
    committed: bool = False
    # The accounts the import created (ids): they have no password yet, and the person
    # importing may invite them.
    new_people: list[int] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.bad_rows

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in ("create", "update", "unchanged")}

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)


def _normalise_header(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def parse_file(content: bytes, kind: str) -> list[dict]:
    """The rows of an uploaded CSV or .xlsx file (told apart by their content, not their
    name) as dicts of stripped strings, each with its spreadsheet `line` (the header is
    line 1). Raises ImportFileError when the file cannot be used at all."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // 1_000_000} MB; split it.")
    if content.startswith(OLE_SIGNATURE):
        raise ImportFileError(
            "This is an old Excel workbook (.xls) or a password-protected one. Save it as an "
            "Excel workbook (.xlsx) without a password, or as “CSV UTF-8”."
        )
    if content.startswith(ZIP_SIGNATURES):
        records, unit = _xlsx_records(content), "row"
    else:
        records, unit = _csv_records(_csv_text(content)), "line"
    # Closing the records stops reading (and closes the workbook) when a check fails early.
    with contextlib.closing(records):
        return _rows(records, kind, unit)


def _csv_text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            "The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”, "
            "or upload the Excel workbook (.xlsx)."
        ) from error


def _csv_records(text: str) -> Generator[tuple[int, list[str]], None, None]:
    """Each record of the CSV text with the line it starts on (a quoted cell may span
    lines); blank lines are records of no cells, so they are counted."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 0
    try:
        for cells in reader:
            yield line + 1, cells
            line = reader.line_num
    except csv.Error as error:
        raise ImportFileError(f"Line {reader.line_num} is not valid CSV: {error}.") from error


def _unreadable_workbook() -> ImportFileError:
    return ImportFileError(
        "This Excel file cannot be read: it is damaged or is not an .xlsx workbook. Save it "
        "again from your spreadsheet as an Excel workbook (.xlsx), or as “CSV UTF-8”."
    )


def _xlsx_records(content: bytes) -> Generator[tuple[int, list[str]], None, None]:
    """Each row of the workbook's first worksheet, numbered as the sheet numbers it; rows
    with nothing in them come as blank rows, so they are counted as blank CSV lines are."""
    # A damaged or foreign archive fails in many ways (BadZipFile, KeyError for a missing
    # part, XML parse errors...): for the person each means the same.
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except Exception as error:
        raise _unreadable_workbook() from error
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError("This Excel file is too large once unpacked; split it.")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        raise _unreadable_workbook() from error
    try:
        if not workbook.worksheets:
            raise ImportFileError("The workbook has no worksheet.")
        sheet = workbook.worksheets[0]
        # Some programs write a wrong size into the sheet; without one, every row is read.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(max_col=MAX_SHEET_COLUMNS, values_only=True)
        last_row = 2 * MAX_ROWS + 1
        for number, values in enumerate(rows, start=1):
            if number > last_row:
                # Blank rows cost time to read too, and a small zip can hold millions.
                raise ImportFileError(
                    f"The sheet goes on past row {last_row} (empty rows count too): delete "
                    "the empty rows below the table, or split it."
                )
            if values.count(None) == len(values):
                yield number, []
                continue
            cells = ["" if value is None else _cell_text(value) for value in values]
            if number == 1:
                # openpyxl pads each row to the same width: the columns end at the last name.
                while cells and not cells[-1]:
                    cells.pop()
            yield number, cells
    except ImportFileError:
        raise
    except Exception as error:
        raise _unreadable_workbook() from error
    finally:
        workbook.close()


def _cell_text(value) -> str:
    """A cell's value as the CSV path would read it from the sheet saved as CSV."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        # A student number or year typed as a number: 1234, not 1234.0.
        return str(int(value))
    return str(value).strip()


def _rows(records: Iterator[tuple[int, list[str]]], kind: str, unit: str) -> list[dict]:
    """Check the header and collect the rows of `records` (numbered cells; the first is
    the header). `unit` is what the file is made of ("line" or "row"), for the messages."""
    first = next(records, None)
    if first is None or not "".join(first[1]).strip():
        raise ImportFileError(f"The file is empty: the first {unit} must name the columns.")
    names = [_normalise_header(cell) for cell in first[1]]
    known = {column.name for column in COLUMNS[kind]}
    unknown = [name for name in names if name and name not in known]
    if unknown:
        raise ImportFileError(
            f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"The columns are: {', '.join(c.name for c in COLUMNS[kind])}."
        )
    missing = [c.name for c in COLUMNS[kind] if c.required and c.name not in names]
    if missing:
        raise ImportFileError(
            f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}."
        )
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        raise ImportFileError(f"Column given twice: {', '.join(duplicated)}.")
    rows = []
    for line, cells in records:
        if not "".join(cells).strip():
            continue
        if len(cells) > len(names) and any(cell.strip() for cell in cells[len(names) :]):
            raise ImportFileError(
                f"{unit.capitalize()} {line} has more cells than there are columns."
            )
        row: dict[str, str | int] = {
            name: (cells[i].strip() if i < len(cells) else "")
            for i, name in enumerate(names)
            if name
        }
        row["line"] = line
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS} rows; split it.")
    if not rows:
        raise ImportFileError("The file has a header but no rows.")
    return rows


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        out = []
        for name, messages in error.message_dict.items():
            label = name.replace("_", " ")
            for message in messages:
                # "This field is required." needs its field; "Student number 1 is…" does not.
                named = name == "__all__" or message.lower().startswith(label)
                out.append(message if named else f"{label}: {message}")
        return out
    return list(error.messages)


class RowError(Exception):
    """A reason this row cannot be imported, in the words shown to the person."""


def _date(row: dict, column: str) -> datetime.date:
    value = row.get(column, "")
    if not value:
        raise RowError(f"{column} is empty")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise RowError(f"bad date in {column}: “{value}” (use YYYY-MM-DD)") from None


def _program(row: dict) -> Program:
    name, institution = row.get("program", ""), row.get("institution", "")
    if not name:
        raise RowError("program is empty")
    programs = Program.objects.filter(name__iexact=name).select_related("profession")
    if institution:
        programs = programs.filter(institution__iexact=institution)
    found = list(programs[:2])
    if not found:
        raise RowError(f"unknown program “{name}”" + (f" at {institution}" if institution else ""))
    if len(found) > 1:
        raise RowError(f"program “{name}” exists at several institutions: add the institution")
    return found[0]


class _Importer:
    def __init__(self, user, sites):
        self.user = user
        self.sites = sites
        self.seen: dict[tuple, int] = {}
        self.new_people: list[int] = []

    def once(self, key: tuple, line: int) -> None:
        if key in self.seen:
            raise RowError(f"duplicate of line {self.seen[key]}")
        self.seen[key] = line


class StudentImporter(_Importer):
    def _check_may_change(self, email: str) -> None:
        """A facilitator imports only new people and students already placed at their
        sites: any other existing account (another site's student, an admin, another
        facilitator) is not theirs to enrol or change. (A row that changes nothing is let
        through, so importing the same file again stays harmless.)"""
        if self.user.is_admin:
            return
        person = get_user_model().objects.filter(email=email).first()
        if person is None:
            return
        placed_here = Placement.objects.filter(student__user=person, site__in=self.sites)
        if not placed_here.exists():
            raise RowError(
                f"{email} already has an account and no placement at your sites: "
                "an admin can enrol them"
            )

    def import_row(self, row: dict, result: RowResult) -> None:
        email = normalise_email(row.get("email", ""))
        if not email:
            raise RowError("email is empty")
        if problem := confusable_error(email):
            raise RowError(problem)
        program = _program(row)
        self.once((email, program.pk), result.line)
        cohort_year = None
        if row.get("cohort_year"):
            try:
                cohort_year = int(row["cohort_year"])
            except ValueError:
                raise RowError(f"cohort_year “{row['cohort_year']}” is not a year") from None
            if not 1900 <= cohort_year <= 2200:
                raise RowError(f"cohort_year “{row['cohort_year']}” is not a year")
        student = (
            Student.objects.filter(user__email=email, program=program)
            .select_related("user")
            .first()
        )
        if student is None:
            self._check_may_change(email)
            has_account = get_user_model().objects.filter(email=email).exists()
            if not row.get("full_name") and not has_account:
                raise RowError("full_name is empty")
            enrolled = services.student_enrol(
                email=email,
                full_name=clean_header_text(row.get("full_name", "")),
                program=program,
                student_number=row.get("student_number", ""),
                cohort_year=cohort_year,
            )
            if not has_account:
                self.new_people.append(enrolled.user_id)
            result.action = "create"
            result.summary = f"Enrol {row.get('full_name') or email} <{email}> in {program}"
            return
        number = row.get("student_number") or student.student_number
        year = cohort_year if cohort_year is not None else student.cohort_year
        if (number, year) == (student.student_number, student.cohort_year):
            result.action = "unchanged"
            result.summary = f"{student.user} in {program}"
            return
        self._check_may_change(email)
        changes = []
        if number != student.student_number:
            changes.append(f"student number {student.student_number or '—'} → {number}")
        if year != student.cohort_year:
            changes.append(f"cohort {student.cohort_year or '—'} → {year}")
        services.student_update(student=student, student_number=number, cohort_year=year)
        result.action = "update"
        result.summary = f"{student.user} in {program}: {', '.join(changes)}"


class PlacementImporter(_Importer):
    MODELS: ClassVar[dict[str, str]] = {
        **{value: value for value in PlacementModel.values},
        **{label.lower(): value for value, label in PlacementModel.choices},
        "ip": PlacementModel.IP_MENTORING,
    }
    STATUSES = services.LIFECYCLE_PATH

    def _student(self, row: dict) -> Student:
        email = normalise_email(row.get("student_email", ""))
        number = row.get("student_number", "")
        if not email and not number:
            raise RowError("give student_email or student_number")
        students = Student.objects.select_related("user", "program__profession")
        students = students.filter(user__email=email) if email else students
        students = students.filter(student_number=number) if number else students
        if row.get("program"):
            students = students.filter(program__name__iexact=row["program"])
        found = list(students[:2])
        if not found:
            raise RowError(
                f"unknown student “{email or number}”"
                + (f" in program “{row['program']}”" if row.get("program") else "")
            )
        if len(found) > 1:
            raise RowError(f"“{email or number}” is enrolled in several programs: add the program")
        return found[0]

    def import_row(self, row: dict, result: RowResult) -> None:
        student = self._student(row)
        site_name = row.get("site", "")
        if not site_name:
            raise RowError("site is empty")
        site = self.sites.filter(name__iexact=site_name).first()
        if site is None:
            # A site the person does not manage reads as unknown: its existence is not leaked.
            raise RowError(f"unknown site “{site_name}”")
        unit = None
        if row.get("unit"):
            units = list(Unit.objects.filter(site=site, name__iexact=row["unit"]))
            exact = [unit for unit in units if unit.name == row["unit"]]
            if not units:
                raise RowError(f"unknown unit “{row['unit']}” at {site}")
            if len(units) > 1 and len(exact) != 1:
                raise RowError(
                    f"“{row['unit']}” names several units at {site}: write its exact name"
                )
            unit = exact[0] if len(units) > 1 else units[0]
        start, end = _date(row, "start_date"), _date(row, "end_date")
        if end < start:
            raise RowError("end_date is before start_date")
        model = self.MODELS.get(row.get("model", "").lower() or PlacementModel.IP_MENTORING)
        if model is None:
            raise RowError(f"unknown model “{row['model']}” (ip_mentoring or traditional)")
        status = (row.get("status") or PlacementStatus.REQUESTED).lower()
        if status not in self.STATUSES:
            raise RowError(f"unknown status “{row['status']}” (requested, confirmed or active)")
        contact = None
        if row.get("contact_email"):
            contact = (
                get_user_model()
                .objects.filter(email=normalise_email(row["contact_email"]), is_active=True)
                .first()
            )
            if contact is None:
                raise RowError(f"unknown contact “{row['contact_email']}”")
        notes = row.get("notes", "")
        self.once((student.pk, site.pk, start), result.line)

        placement = (
            Placement.objects.filter(student=student, site=site, start_date=start)
            .exclude(status=PlacementStatus.CANCELLED)
            .first()
        )
        label = f"{student.user} at {site}{', ' + unit.name if unit else ''}, {start:%Y-%m-%d} to {end:%Y-%m-%d}"
        if placement is None:
            placement = services.placement_create(
                student=student,
                site=site,
                unit=unit,
                start_date=start,
                end_date=end,
                model=model,
                contact=contact,
                notes=notes,
                created_by=self.user,
            )
            services.placement_advance_to(
                placement=placement, to_status=status, changed_by=self.user, note="CSV import"
            )
            result.action = "create"
            result.summary = f"{label}, {PlacementStatus(status).label.lower()}"
            return
        wanted = {
            "unit_id": unit.pk if unit else None,
            "end_date": end,
            "model": model,
            "contact_id": contact.pk if contact else None,
            "notes": notes,
        }
        changed = [name for name, value in wanted.items() if getattr(placement, name) != value]
        behind = placement.status in self.STATUSES and self.STATUSES.index(
            placement.status
        ) < self.STATUSES.index(status)
        if not changed and not behind:
            result.action = "unchanged"
            result.summary = f"{label}, {placement.get_status_display().lower()}"
            return
        if changed:
            services.placement_update(
                placement=placement,
                site=site,
                unit=unit,
                start_date=start,
                end_date=end,
                model=model,
                contact=contact,
                notes=notes,
                changed_by=self.user,
            )
        if behind:
            services.placement_advance_to(
                placement=placement, to_status=status, changed_by=self.user, note="CSV import"
            )
        what = [name.removesuffix("_id").replace("_", " ") for name in changed]
        if behind:
            what.append(f"status → {PlacementStatus(status).label.lower()}")
        result.action = "update"
        result.summary = f"{label}: {', '.join(what)}"


IMPORTERS: dict[str, type[StudentImporter | PlacementImporter]] = {
    "students": StudentImporter,
    "placements": PlacementImporter,
}


def run_import(kind: str, rows: list[dict], *, user, sites, commit: bool) -> ImportResult:
    """Run every row through the services in one transaction, as `user`, who may place
    students at `sites` (`ipcop.permissions.sites_facilitated_by`). Each row runs in a
    savepoint so one bad row does not hide the others' reasons; the whole transaction is
    rolled back for a preview and whenever any row is bad."""
    importer = IMPORTERS[kind](user, sites)
    result = ImportResult(kind=kind, rows=[])
    with transaction.atomic():
        for row in rows:
            row_result = RowResult(line=int(row.get("line", 0)))
            result.rows.append(row_result)
            try:
                with transaction.atomic():
                    importer.import_row(row, row_result)
            except RowError as error:
                row_result.errors.append(str(error))
            except ValidationError as error:
                row_result.errors.extend(_messages(error))
        if commit and result.ok:
            result.committed = True
            result.new_people = importer.new_people
        else:
            transaction.set_rollback(True)
    return result
