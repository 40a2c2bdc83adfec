"""Import of students and placements from CSV or Excel (.xlsx) files: parse, preview,
confirm.

Both steps run the same checks through the same rules: each importer reads what its rows
refer to in a few queries (people by address, programs, sites, units, enrolments,
placements, capacity), then judges every row in turn with the services' batch variants
(`placements.services.StudentBatch`, `PlacementBatch`), which keep what earlier rows did
in memory, so a row sees those before it as it would one import after another (a file
whose rows compete for the last place of a site). The preview stops there and writes
nothing; the confirmation judges the rows again with those rows locked, and writes them
in a few statements only if every row passed. So the preview shows what the
confirmation will do, a file with any bad row changes nothing, and a row that matches
what is already stored is "unchanged" (re-importing a file changes nothing). The number
of queries does not grow with the number of rows.

A file of up to MAX_ROWS rows is checked and imported within its requests; a larger one
(up to MAX_JOB_ROWS) by the Celery tasks of placements.tasks (`ImportJob`).

The stdlib csv reader is used rather than tablib because tablib skips blank lines, and
then the line numbers we report would not match the ones the spreadsheet shows. An .xlsx
is read with openpyxl into the same numbered rows (the sheet's row numbers), so both
formats go through the same checks.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import datetime
import io
import logging
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import openpyxl
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.identifiers import clean_header_text, confusable_error, normalise_email
from accounts.services import invitations_send_for_import
from placements import services
from placements.models import (
    IMPORT_JOB_WORKING,
    ImportJob,
    ImportJobStatus,
    Placement,
    PlacementModel,
    PlacementStatus,
    Program,
    Student,
)
from placements.services import PlacementBatch, StudentBatch
from sites.models import Site, Unit

# What one request checks and imports in a few seconds (`make bench` times it).
MAX_BYTES = 1_000_000
MAX_ROWS = 5000
# A zip of 1 MB can unpack to about 1 GB, and openpyxl reads a workbook's shared strings
# whole even in read-only mode: the unpacked size is checked before it opens the file.
MAX_XLSX_UNPACKED_BYTES = 20_000_000
# What a background import (ImportJob) takes: a province's year of placements and more.
MAX_JOB_BYTES = 20_000_000
MAX_JOB_ROWS = 100_000
MAX_JOB_XLSX_UNPACKED_BYTES = 200_000_000
# The rows a job keeps to show (bad rows first): its page is not a 100,000-row table.
SHOWN_ROWS = 500
# How often (in rows) a preview reports its progress.
PROGRESS_EVERY = 1000
# Columns read from a sheet (the widest kind has 11): one stray cell far to the right
# would otherwise make openpyxl pad every row to its width.
MAX_SHEET_COLUMNS = 50

NUL = "\x00"

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


class TooManyRows(ImportFileError):
    """The file has more rows than this way of importing takes (a background import
    takes more)."""


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
    # Why the rows, all good, could not be saved (another change came first).
    error: str = ""

    @property
    def bad_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.bad_rows and not self.error

    def shown_rows(self, limit: int) -> list[RowResult]:
        """At most `limit` rows to show, the bad ones first."""
        return (self.bad_rows + [row for row in self.rows if not row.errors])[:limit]

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in ("create", "update", "unchanged")}

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)


def _normalise_header(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def parse_file(
    content: bytes,
    kind: str,
    *,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    max_unpacked: int | None = None,
) -> list[dict]:
    """The rows of an uploaded CSV or .xlsx file (told apart by their content, not their
    name) as dicts of stripped strings, each with its spreadsheet `line` (the header is
    line 1). Raises ImportFileError when the file cannot be used at all, TooManyRows when
    it is larger than the limits (by default those of an import within a request)."""
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    max_rows = MAX_ROWS if max_rows is None else max_rows
    max_unpacked = MAX_XLSX_UNPACKED_BYTES if max_unpacked is None else max_unpacked
    if len(content) > max_bytes:
        raise TooManyRows(f"The file is larger than {max_bytes // 1_000_000} MB; split it.")
    if content.startswith(OLE_SIGNATURE):
        raise ImportFileError(
            "This is an old Excel workbook (.xls) or a password-protected one. Save it as an "
            "Excel workbook (.xlsx) without a password, or as “CSV UTF-8”."
        )
    if content.startswith(ZIP_SIGNATURES):
        records, unit = _xlsx_records(content, max_rows, max_unpacked), "row"
    else:
        text = _csv_text(content)
        records, unit = _csv_records(text, _separator(text, kind)), "line"
    # Closing the records stops reading (and closes the workbook) when a check fails early.
    with contextlib.closing(records):
        return _rows(records, kind, unit, max_rows)


def _csv_text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            "The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”, "
            "or upload the Excel workbook (.xlsx)."
        ) from error


# What spreadsheets write between cells: a comma; a semicolon where the comma is the
# decimal mark (Excel in French, German...); a tab ("Text (tab-delimited)").
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _separator(text: str, kind: str) -> str:
    """The separator of the CSV text: the one that splits its first line into the most
    column names of `kind` (a comma when none does better; when none names a column, the
    one that splits it into the most cells). A first line that none of them splits into
    several cells, and that is not itself a column name, is no table."""
    # The header is short: only the start of a large file is split into lines.
    first = next(iter(text[:65536].splitlines()), "")
    known = {column.name for column in COLUMNS[kind]}
    best, best_known, widest, widest_separator = ",", 0, 1, ","
    for separator in SEPARATORS:
        cells = next(csv.reader([first], delimiter=separator), [])
        found = sum(1 for cell in cells if _normalise_header(cell) in known)
        if len(cells) > widest:
            widest, widest_separator = len(cells), separator
        if found > best_known:
            best, best_known = separator, found
    if not best_known:
        # No known name: the header's cells, however split, are named as unknown columns.
        best = widest_separator
    if first.strip() and not best_known and widest == 1:
        raise ImportFileError(
            "The first line does not name the columns: IPCoP found no column names "
            "separated by commas, semicolons or tabs. Save the sheet as “CSV UTF-8” or as "
            "an Excel workbook (.xlsx), with the column names in the first row, or start "
            "from a template below."
        )
    return best


def _csv_records(text: str, separator: str = ",") -> Generator[tuple[int, list[str]], None, None]:
    """Each record of the CSV text with the line it starts on (a quoted cell may span
    lines); blank lines are records of no cells, so they are counted."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
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


def _xlsx_records(
    content: bytes, max_rows: int, max_unpacked: int
) -> Generator[tuple[int, list[str]], None, None]:
    """Each row of the workbook's first worksheet, numbered as the sheet numbers it; rows
    with nothing in them come as blank rows, so they are counted as blank CSV lines are."""
    # A damaged or foreign archive fails in many ways (BadZipFile, KeyError for a missing
    # part, XML parse errors...): for the person each means the same.
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except Exception as error:
        raise _unreadable_workbook() from error
    if unpacked > max_unpacked:
        raise TooManyRows("This Excel file is too large once unpacked; split it.")
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
        last_row = 2 * max_rows + 1
        for number, values in enumerate(rows, start=1):
            if number > last_row:
                # Blank rows cost time to read too, and a small zip can hold millions.
                raise TooManyRows(
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


def _rows(
    records: Iterator[tuple[int, list[str]]], kind: str, unit: str, max_rows: int
) -> list[dict]:
    """Check the header and collect the rows of `records` (numbered cells; the first is
    the header). `unit` is what the file is made of ("line" or "row"), for the messages."""
    first = next(records, None)
    if first is None or not "".join(first[1]).strip():
        raise ImportFileError(f"The file is empty: the first {unit} must name the columns.")
    if any(NUL in cell for cell in first[1]):
        # PostgreSQL stores no NUL in text, and the message would show it.
        raise ImportFileError(
            f"The first {unit} contains a NUL character (an invisible control character "
            "a damaged export may leave): remove it and upload the file again."
        )
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
        if len(rows) > max_rows:
            raise TooManyRows(f"The file has more than {max_rows} rows; split it.")
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


class RowErrors(Exception):
    """Every reason found in one row (each cell checked on its own), so a person fixes a
    row once rather than once per mistake."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


class _Problems:
    """The reasons found in one row so far: `check` runs one check and notes its
    RowError instead of stopping; `stop` raises them all, if any."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def check(self, judge: Callable[..., Any], *args: Any) -> Any:
        try:
            return judge(*args)
        except RowError as error:
            self.messages.append(str(error))
            return None

    def stop(self) -> None:
        if self.messages:
            raise RowErrors(self.messages)


def _date(row: dict, column: str) -> datetime.date:
    value = row.get(column, "")
    if not value:
        raise RowError(f"{column} is empty")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise RowError(f"bad date in {column}: “{value}” (use YYYY-MM-DD)") from None


def _same(a: str, b: str) -> bool:
    """Names compared as the import always has, ignoring case (`iexact`)."""
    return a.casefold() == b.casefold()


def _any_name(field_name: str, names: set[str]) -> Q:
    """Rows whose `field_name` is one of `names`, ignoring case: a superset of what
    `_same` matches, narrowed in Python."""
    if not names:
        return Q(pk__in=[])
    return Q(*(Q(**{f"{field_name}__iexact": name}) for name in sorted(names)), _connector=Q.OR)


class _Importer:
    """Judges the rows of a file (`run`), then saves them (`save`). A subclass reads in
    `prefetch` what the rows refer to, in a few queries, and judges one row in `row`."""

    batch: StudentBatch | PlacementBatch

    def __init__(self, user, sites, programs: QuerySet[Program] | None = None):
        self.user = user
        self.sites = sites
        self.programs_scope = programs
        self.seen: dict[tuple, int] = {}

    def once(self, key: tuple, line: int) -> None:
        if key in self.seen:
            raise RowError(f"duplicate of line {self.seen[key]}")
        self.seen[key] = line

    def run(
        self, rows: list[dict], *, lock: bool, progress: Callable[[int], None] | None = None
    ) -> list[RowResult]:
        readable = [row for row in rows if not _nul_column(row)]
        self.prefetch(readable, lock=lock)
        results = []
        for done, row in enumerate(rows, start=1):
            result = RowResult(line=int(row.get("line", 0)))
            results.append(result)
            try:
                if column := _nul_column(row):
                    raise RowError(
                        f"{column} contains a NUL character (an invisible control character "
                        "a damaged export may leave), which cannot be stored: remove it"
                    )
                self.row(row, result)
            except RowError as error:
                result.errors.append(str(error))
            except RowErrors as errors:
                result.errors.extend(errors.messages)
            except ValidationError as error:
                result.errors.extend(_messages(error))
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done)
        if progress is not None:
            progress(len(rows))
        return results

    def prefetch(self, rows: list[dict], *, lock: bool) -> None:
        raise NotImplementedError

    def row(self, row: dict, result: RowResult) -> None:
        raise NotImplementedError

    def save(self) -> None:
        self.batch.save()

    @property
    def new_people(self) -> list[int]:
        return []


def _nul_column(row: dict) -> str | None:
    """The first column of `row` holding a NUL character, which PostgreSQL cannot store
    in text (nor compare with it: a look-up would fail)."""
    for name, value in row.items():
        if isinstance(value, str) and NUL in value:
            return name
    return None


class StudentImporter(_Importer):
    batch: StudentBatch

    def prefetch(self, rows: list[dict], *, lock: bool) -> None:
        emails = {normalise_email(row.get("email", "")) for row in rows} - {""}
        names = {row["program"] for row in rows if row.get("program")}
        self.programs = list(
            Program.objects.filter(_any_name("name", names)).select_related(
                "profession", "institution"
            )
        )
        self.batch = services.StudentBatch(
            emails=emails,
            programs=self.programs,
            student_numbers={row.get("student_number", "") for row in rows},
            lock=lock,
        )
        # A facilitator may change only the people placed at their sites; a coordinator,
        # only their programs' students, and enrols into their programs only.
        self.placed_here: set[str] = set()
        self.in_scope: set[int] | None = None
        if self.programs_scope is not None:
            self.in_scope = set(
                self.programs_scope.filter(pk__in=[program.pk for program in self.programs])
                .order_by()
                .values_list("pk", flat=True)
            )
            self.placed_here = set(
                Student.objects.filter(user__email__in=emails, program__in=self.programs_scope)
                .values_list("user__email", flat=True)
                .distinct()
            )
        elif not self.user.is_admin:
            self.placed_here = set(
                Placement.objects.filter(student__user__email__in=emails, site__in=self.sites)
                .values_list("student__user__email", flat=True)
                .distinct()
            )
        self.stored_accounts = set(self.batch.accounts)

    def _program(self, row: dict) -> Program:
        name, institution = row.get("program", ""), row.get("institution", "")
        if not name:
            raise RowError("program is empty")
        found = [
            program
            for program in self.programs
            if _same(program.name, name)
            and (not institution or _same(program.institution.name, institution))
        ]
        if not found:
            raise RowError(
                f"unknown program “{name}”" + (f" at {institution}" if institution else "")
            )
        if len(found) > 1:
            raise RowError(f"program “{name}” exists at several institutions: add the institution")
        if self.in_scope is not None and found[0].pk not in self.in_scope:
            raise RowError(
                f"program “{found[0]}” is not one of your programs: you import the students "
                "of the programs you coordinate only"
            )
        return found[0]

    def _check_may_change(self, email: str) -> None:
        """A facilitator imports only new people and students already placed at their
        sites, a coordinator only new people and their programs' students: any other
        existing account (another site's student, an admin, another facilitator) is not
        theirs to enrol or change. (A row that changes nothing is let
        through, so importing the same file again stays harmless; a person this file
        adds is new, whichever of their rows comes first.)"""
        if self.user.is_admin or email not in self.stored_accounts:
            return
        if email not in self.placed_here:
            if self.in_scope is not None:
                raise RowError(
                    f"{email} already has an account and is not a student of your "
                    "programs: an admin can enrol them"
                )
            raise RowError(
                f"{email} already has an account and no placement at your sites: "
                "an admin can enrol them"
            )

    def _email(self, row: dict) -> str:
        email = normalise_email(row.get("email", ""))
        if not email:
            raise RowError("email is empty")
        if problem := confusable_error(email):
            raise RowError(problem)
        return email

    @staticmethod
    def _cohort_year(row: dict) -> int | None:
        if not row.get("cohort_year"):
            return None
        try:
            cohort_year = int(row["cohort_year"])
        except ValueError:
            raise RowError(f"cohort_year “{row['cohort_year']}” is not a year") from None
        if not 1900 <= cohort_year <= 2200:
            raise RowError(f"cohort_year “{row['cohort_year']}” is not a year")
        return cohort_year

    def row(self, row: dict, result: RowResult) -> None:
        problems = _Problems()
        email = problems.check(self._email, row)
        program = problems.check(self._program, row)
        cohort_year = problems.check(self._cohort_year, row)
        if email and program:
            problems.check(self.once, (email, program.pk), result.line)
            new = self.batch.enrolment(email, program) is None
            if new and not row.get("full_name") and self.batch.account(email) is None:
                problems.messages.append("full_name is empty")
        problems.stop()
        student = self.batch.enrolment(email, program)
        if student is None:
            self._check_may_change(email)
            self.batch.enrol(
                email=email,
                full_name=clean_header_text(row.get("full_name", "")),
                program=program,
                student_number=row.get("student_number", ""),
                cohort_year=cohort_year,
            )
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
        self.batch.update(student=student, student_number=number, cohort_year=year)
        result.action = "update"
        result.summary = f"{student.user} in {program}: {', '.join(changes)}"

    @property
    def new_people(self) -> list[int]:
        return [user.pk for user in self.batch.new_accounts]


def _period(rows: list[dict]) -> tuple[datetime.date, datetime.date] | None:
    """From the first start to the last end the rows give (a row with a bad date is an
    error, judged against nothing)."""
    days = []
    for row in rows:
        with contextlib.suppress(RowError):
            days += [_date(row, "start_date"), _date(row, "end_date")]
    return (min(days), max(days)) if days else None


class PlacementImporter(_Importer):
    MODELS: ClassVar[dict[str, str]] = {
        **{value: value for value in PlacementModel.values},
        **{label.lower(): value for value, label in PlacementModel.choices},
        "ip": PlacementModel.IP_MENTORING,
    }
    STATUSES = services.LIFECYCLE_PATH
    batch: PlacementBatch

    def prefetch(self, rows: list[dict], *, lock: bool) -> None:
        emails = {normalise_email(row.get("student_email", "")) for row in rows} - {""}
        numbers = {row["student_number"] for row in rows if row.get("student_number")}
        students = Student.objects.filter(
            Q(user__email__in=emails) | Q(student_number__in=numbers)
        ).select_related("user", "program__profession", "program__institution")
        self.by_email: dict[str, list[Student]] = collections.defaultdict(list)
        self.by_number: dict[str, list[Student]] = collections.defaultdict(list)
        for student in students:
            self.by_email[student.user.email].append(student)
            if student.student_number:
                self.by_number[student.student_number].append(student)
        site_names = {row["site"] for row in rows if row.get("site")}
        self.site_list = list(self.sites.filter(_any_name("name", site_names)))
        unit_names = {row["unit"] for row in rows if row.get("unit")}
        self.units: dict[int, list[Unit]] = collections.defaultdict(list)
        if unit_names and self.site_list:
            for unit in Unit.objects.filter(_any_name("name", unit_names), site__in=self.site_list):
                self.units[unit.site_id].append(unit)
        contacts = {normalise_email(row.get("contact_email", "")) for row in rows} - {""}
        self.contacts = {
            user.email: user
            for user in get_user_model().objects.filter(email__in=contacts, is_active=True)
        }
        found_students = {
            student.pk: student
            for found in (*self.by_email.values(), *self.by_number.values())
            for student in found
        }
        self.batch = services.PlacementBatch(
            students=list(found_students.values()),
            sites=self.site_list,
            changed_by=self.user,
            note="CSV import",
            lock=lock,
            period=_period(rows),
        )

    def _student(self, row: dict) -> Student:
        email = normalise_email(row.get("student_email", ""))
        number = row.get("student_number", "")
        if not email and not number:
            raise RowError("give student_email or student_number")
        found = self.by_email.get(email, []) if email else self.by_number.get(number, [])
        if number:
            found = [student for student in found if student.student_number == number]
        if row.get("program"):
            found = [student for student in found if _same(student.program.name, row["program"])]
        if not found:
            raise RowError(
                f"unknown student “{email or number}”"
                + (f" in program “{row['program']}”" if row.get("program") else "")
            )
        if len(found) > 1:
            raise RowError(f"“{email or number}” is enrolled in several programs: add the program")
        return found[0]

    def _site(self, row: dict) -> Site:
        site_name = row.get("site", "")
        if not site_name:
            raise RowError("site is empty")
        site = next((site for site in self.site_list if _same(site.name, site_name)), None)
        if site is None:
            # A site the person does not manage reads as unknown: its existence is not leaked.
            raise RowError(f"unknown site “{site_name}”")
        return site

    def _unit(self, row: dict, site: Site) -> Unit | None:
        if not row.get("unit"):
            return None
        units = [unit for unit in self.units[site.pk] if _same(unit.name, row["unit"])]
        exact = [unit for unit in units if unit.name == row["unit"]]
        if not units:
            raise RowError(f"unknown unit “{row['unit']}” at {site}")
        if len(units) > 1 and len(exact) != 1:
            raise RowError(f"“{row['unit']}” names several units at {site}: write its exact name")
        return exact[0] if len(units) > 1 else units[0]

    def _model(self, row: dict) -> str:
        model = self.MODELS.get(row.get("model", "").lower() or PlacementModel.IP_MENTORING)
        if model is None:
            raise RowError(f"unknown model “{row['model']}” (ip_mentoring or traditional)")
        return model

    def _status(self, row: dict) -> str:
        status = (row.get("status") or PlacementStatus.REQUESTED).lower()
        if status not in self.STATUSES:
            raise RowError(f"unknown status “{row['status']}” (requested, confirmed or active)")
        return status

    def _contact(self, row: dict):
        if not row.get("contact_email"):
            return None
        contact = self.contacts.get(normalise_email(row["contact_email"]))
        if contact is None:
            raise RowError(f"unknown contact “{row['contact_email']}”")
        return contact

    def row(self, row: dict, result: RowResult) -> None:
        problems = _Problems()
        student = problems.check(self._student, row)
        site = problems.check(self._site, row)
        unit = problems.check(self._unit, row, site) if site else None
        start = problems.check(_date, row, "start_date")
        end = problems.check(_date, row, "end_date")
        if start and end and end < start:
            problems.messages.append("end_date is before start_date")
        model = problems.check(self._model, row)
        status = problems.check(self._status, row)
        contact = problems.check(self._contact, row)
        problems.stop()
        # stop() raised unless each of these was read (this tells the type checker).
        assert student and site and start and end and model and status
        notes = row.get("notes", "")
        self.once((student.pk, site.pk, start), result.line)

        placement = self.batch.find(student=student, site=site, start_date=start)
        label = f"{student.user} at {site}{', ' + unit.name if unit else ''}, {start:%Y-%m-%d} to {end:%Y-%m-%d}"
        if placement is None:
            self.batch.create(
                student=student,
                site=site,
                unit=unit,
                start_date=start,
                end_date=end,
                model=model,
                contact=contact,
                notes=notes,
                to_status=status,
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
        self.batch.update(
            placement=placement,
            unit=unit,
            end_date=end,
            model=model,
            contact=contact,
            notes=notes,
            to_status=status,
        )
        what = [name.removesuffix("_id").replace("_", " ") for name in changed]
        if behind:
            what.append(f"status → {PlacementStatus(status).label.lower()}")
        result.action = "update"
        result.summary = f"{label}: {', '.join(what)}"


# The person of the templates' example rows: the students template enrols them, so the
# placements template, imported after it, places them.
EXAMPLE_EMAIL = "alex.example@example.org"


def template_rows(
    kind: str, *, sites, today: datetime.date, programs: QuerySet[Program] | None = None
) -> list[list[str]]:
    """A file of `kind` to fill in: its columns and one example row, which imports as it
    is (a program and a site from IPCoP: the first program by name, of `programs` if the
    person's import is limited to those; the first of `sites`, the sites the person may
    place students at). Returns the rows of cells."""
    program = (
        (Program.objects.all() if programs is None else programs)
        .select_related("institution")
        .order_by("name", "institution__name", "pk")
        .first()
    )
    program_name = program.name if program else "BScN"
    if kind == "students":
        example = {
            "email": EXAMPLE_EMAIL,
            "full_name": "Alex Example",
            "program": program_name,
            "institution": program.institution.name if program else "",
            "student_number": "",
            "cohort_year": str(today.year),
        }
    else:
        site = sites.order_by("name", "pk").only("name").first()
        start = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        example = {
            "student_email": EXAMPLE_EMAIL,
            "program": program_name,
            "site": site.name if site else "Your site",
            "start_date": start.isoformat(),
            "end_date": (start + datetime.timedelta(days=27)).isoformat(),
            "model": PlacementModel.IP_MENTORING,
            "status": PlacementStatus.REQUESTED,
        }
    names = [column.name for column in COLUMNS[kind]]
    return [names, [example.get(name, "") for name in names]]


IMPORTERS: dict[str, type[StudentImporter | PlacementImporter]] = {
    "students": StudentImporter,
    "placements": PlacementImporter,
}

SAVE_CONFLICT = (
    "Another change to the same people or placements was saved while this file was being "
    "imported, so nothing was imported. Upload the file again to see what it would do now."
)


def run_import(
    kind: str,
    rows: list[dict],
    *,
    user,
    sites,
    commit: bool,
    progress: Callable[[int], None] | None = None,
    programs: QuerySet[Program] | None = None,
) -> ImportResult:
    """Judge every row as `user`, who may place students at `sites`
    (`ipcop.permissions.sites_facilitated_by`) and enrol students in `programs` (None:
    any; `ipcop.permissions.programs_for_student_import`); with `commit`, save them all,
    in one transaction, only if every row passed. `progress(rows judged)` is called as it
    goes.

    A preview reads and writes nothing, so it runs outside a transaction (a job's
    progress, written as it goes, is seen at once). The confirmation judges the rows with
    what they touch locked, in the transaction that saves them."""
    importer = IMPORTERS[kind](user, sites, programs)
    if not commit:
        return ImportResult(kind=kind, rows=importer.run(rows, lock=False, progress=progress))
    with transaction.atomic():
        result = ImportResult(kind=kind, rows=importer.run(rows, lock=True, progress=progress))
        if result.ok:
            try:
                with transaction.atomic():
                    importer.save()
            except IntegrityError:
                # A constraint caught what the locks could not: a row added meanwhile
                # (a new account with the same address, an enrolment).
                result.error = SAVE_CONFLICT
            else:
                result.committed = True
                result.new_people = importer.new_people
    return result


# --- Jobs: an upload from its check to its import ----------------------------------------

logger = logging.getLogger(__name__)

# An uploaded file's limits: a job checked within its request, or by the worker.
REQUEST_LIMITS: dict[str, int] = {}  # parse_file's defaults (MAX_BYTES, MAX_ROWS, ...)
JOB_LIMITS = {
    "max_bytes": MAX_JOB_BYTES,
    "max_rows": MAX_JOB_ROWS,
    "max_unpacked": MAX_JOB_XLSX_UNPACKED_BYTES,
}
# A job that says it is at work but has not moved for this long lost its worker.
STALLED_AFTER = datetime.timedelta(minutes=35)
# A queued job whose message has not started it within this time is woken again.
UNSTARTED_AFTER = datetime.timedelta(minutes=2)

# The sites a person may place students at (ipcop.permissions.sites_facilitated_by).
SitesOf = Callable[[Any], QuerySet]
# The programs a person may import students into, None for any
# (ipcop.permissions.programs_for_student_import).
ProgramsOf = Callable[[Any], "QuerySet[Program] | None"]


def _programs_of(programs_of: ProgramsOf | None, owner) -> QuerySet[Program] | None:
    return None if programs_of is None else programs_of(owner)


def _limits(job: ImportJob) -> dict[str, int]:
    return JOB_LIMITS if job.in_background else REQUEST_LIMITS


def _enqueue(task_name: str, job_id: int) -> None:
    """Wake the worker for a job once the job is committed. With the broker away the job
    waits in its row: `import_jobs_resume` (every minute) wakes it later."""
    from placements import tasks  # the tasks import this module

    def send() -> None:
        try:
            getattr(tasks, task_name).apply_async(kwargs={"job_id": job_id}, retry=False)
        except Exception:
            logger.exception("Could not enqueue %s for import job %s", task_name, job_id)

    transaction.on_commit(send)


# What the check and the import write on a job: never its content (up to MAX_JOB_BYTES),
# unless to drop it.
_OUTCOME_FIELDS = [
    "status", "counts", "bad_rows", "rows", "rows_total", "rows_done", "error",
    "new_people", "invited", "finished_at", "updated_at",
]  # fmt: skip


def _settle(job: ImportJob, status: str, **fields) -> None:
    """Record where a job's work ended. A refused or imported file is not kept: it holds
    personal data."""
    job.status = status
    for name, value in fields.items():
        setattr(job, name, value)
    update_fields = list(_OUTCOME_FIELDS)
    if status == ImportJobStatus.DONE:
        job.rows = []  # what it would do is done: the counts stay, the names go
    if status in (ImportJobStatus.REJECTED, ImportJobStatus.DONE, ImportJobStatus.FAILED):
        job.content = b""
        job.finished_at = timezone.now()
        update_fields.append("content")
    job.save(update_fields=update_fields)


def _record_check(job: ImportJob, result: ImportResult) -> None:
    job.counts = result.counts
    job.bad_rows = len(result.bad_rows)
    job.rows = [asdict(row) for row in result.shown_rows(SHOWN_ROWS)]
    job.rows_total = job.rows_done = len(result.rows)


def import_job_start(
    *,
    owner,
    kind: str,
    filename: str,
    content: bytes,
    sites,
    programs: QuerySet[Program] | None = None,
) -> tuple[ImportJob, ImportResult | None]:
    """Keep an uploaded file as an import job and check it (the preview): within this
    request when it is small enough (up to MAX_BYTES and MAX_ROWS), returning the full
    result; otherwise by the worker, the job coming back queued. Raises ImportFileError
    when a small file cannot be used at all (nothing is kept then)."""
    job = ImportJob(
        owner=owner,
        kind=kind,
        filename=clean_header_text(filename.replace(NUL, ""))[:200] or "file",
        content=content,
    )
    try:
        rows = None if len(content) > MAX_BYTES else parse_file(content, kind)
    except TooManyRows:
        rows = None
    if rows is None:
        job.in_background = True
        job.save()
        _enqueue("check_import", job.pk)
        return job, None
    job.status = ImportJobStatus.CHECKING
    job.save()
    result = run_import(kind, rows, user=owner, sites=sites, commit=False, programs=programs)
    _record_check(job, result)
    _settle(job, ImportJobStatus.READY if result.ok else ImportJobStatus.REJECTED)
    return job, result


def import_job_check(
    *, job_id: int, sites_of: SitesOf, programs_of: ProgramsOf | None = None
) -> None:
    """The worker's check of a queued job (the preview), counting the rows as it goes;
    `sites_of(owner)` are the sites the job's owner may place students at,
    `programs_of(owner)` the programs they may import students into. A job that is
    not queued (checked already: a message delivered twice) is left as it is."""
    claimed = ImportJob.objects.filter(
        Q(status=ImportJobStatus.QUEUED)
        | Q(status=ImportJobStatus.CHECKING, updated_at__lt=timezone.now() - STALLED_AFTER),
        pk=job_id,
    ).update(status=ImportJobStatus.CHECKING, rows_done=0, updated_at=timezone.now())
    if not claimed:
        return
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    try:
        rows = parse_file(bytes(job.content), job.kind, **_limits(job))
    except ImportFileError as error:
        _settle(job, ImportJobStatus.REJECTED, error=str(error))
        return
    ImportJob.objects.filter(pk=job_id).update(rows_total=len(rows), updated_at=timezone.now())

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(rows_done=done, updated_at=timezone.now())

    result = run_import(
        job.kind,
        rows,
        user=job.owner,
        sites=sites_of(job.owner),
        commit=False,
        progress=progress,
        programs=_programs_of(programs_of, job.owner),
    )
    _record_check(job, result)
    _settle(job, ImportJobStatus.READY if result.ok else ImportJobStatus.REJECTED)


def import_job_confirm(
    *, job: ImportJob, invite: bool, sites_of: SitesOf, programs_of: ProgramsOf | None = None
) -> ImportResult | None:
    """The owner confirms a checked job: imported within this request when small (the
    result is returned), otherwise queued for the worker (None). Raises ValidationError
    when the job is not awaiting confirmation (imported already, refused, replaced)."""
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.READY).update(
        status=ImportJobStatus.CONFIRMED, invite=invite, updated_at=timezone.now()
    )
    if not claimed:
        raise ValidationError("This preview has expired or was replaced; upload the file again.")
    if job.in_background:
        _enqueue("run_import_job", job.pk)
        return None
    return import_job_run(job_id=job.pk, sites_of=sites_of, programs_of=programs_of)


@transaction.atomic
def import_job_run(
    *, job_id: int, sites_of: SitesOf, programs_of: ProgramsOf | None = None
) -> ImportResult | None:
    """Import a confirmed job, in one transaction with the job's own row: its status
    says "done" exactly when its rows are saved, so a message delivered twice, or again
    after a crash, imports the file once. Returns None for a job not (or no longer)
    waiting to be imported."""
    job = (
        ImportJob.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk=job_id, status__in=(ImportJobStatus.CONFIRMED, ImportJobStatus.IMPORTING))
        .first()
    )
    if job is None:
        return None
    try:
        rows = parse_file(bytes(job.content), job.kind, **_limits(job))
    except ImportFileError as error:  # checked before: only a change of limits gets here
        _settle(job, ImportJobStatus.FAILED, error=str(error))
        return None
    result = run_import(
        job.kind,
        rows,
        user=job.owner,
        sites=sites_of(job.owner),
        commit=True,
        programs=_programs_of(programs_of, job.owner),
    )
    if not result.committed:
        # Something changed since the check (e.g. another facilitator took the last place).
        _record_check(job, result)
        _settle(
            job,
            ImportJobStatus.FAILED,
            error=result.error or "Nothing was imported: some rows are no longer valid.",
        )
        return result
    job.counts = result.counts
    job.new_people = len(result.new_people)
    if job.invite and result.new_people:
        job.invited = invitations_send_for_import(
            people=get_user_model().objects.filter(pk__in=result.new_people),
            sent_by=job.owner,
        )
    _settle(job, ImportJobStatus.DONE)
    return result


def import_jobs_resume() -> int:
    """Wake the jobs whose message was lost (the broker was away when they were queued or
    confirmed) or whose worker died, and hand the worker a small job whose request died
    between its confirmation and its import; run every minute by beat. Returns how many.
    (The tasks claim a job by its status, so a job woken twice is done once.)"""
    now = timezone.now()
    jobs = ImportJob.objects.filter(
        Q(
            status__in=(ImportJobStatus.QUEUED, ImportJobStatus.CONFIRMED),
            updated_at__lt=now - UNSTARTED_AFTER,
        )
        | Q(
            status__in=(ImportJobStatus.CHECKING, ImportJobStatus.IMPORTING),
            updated_at__lt=now - STALLED_AFTER,
        ),
    ).values_list("pk", "status")
    woken = 0
    for job_id, status in jobs:
        checking = status in (ImportJobStatus.QUEUED, ImportJobStatus.CHECKING)
        _enqueue("check_import" if checking else "run_import_job", job_id)
        woken += 1
    return woken


def import_job_started(*, job_id: int) -> None:
    """A confirmed job is being imported (its page says so)."""
    ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.CONFIRMED).update(
        status=ImportJobStatus.IMPORTING, updated_at=timezone.now()
    )


def import_job_fail(*, job_id: int, error: str) -> None:
    """Stop a job that is still at work (its import, if any, was rolled back)."""
    ImportJob.objects.filter(pk=job_id, status__in=IMPORT_JOB_WORKING).update(
        status=ImportJobStatus.FAILED,
        error=error,
        content=b"",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
