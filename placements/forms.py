"""Forms of the placements app: they parse input; the services decide."""

from __future__ import annotations

import datetime
import re
from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.http import urlencode

from accounts.models import Profession
from ipcop.lib.dates import EARLIEST, LATEST
from ipcop.lib.forms import FilterForm, ModelChoiceField, ModelMultipleChoiceField
from ipcop.lib.params import id_param
from ipcop.lib.uploads import check_upload
from ipcop.permissions import (
    has_role,
    programs_coordinated_by,
    site_choices_for,
    sites_facilitated_by,
    sites_requestable_by,
    students_requestable_by,
)
from mentoring.selectors import team_complete_q
from placements.importers import COLUMNS, KINDS, MAX_JOB_BYTES, MAX_JOB_ROWS, MAX_ROWS
from placements.models import (
    OPEN_REQUEST_STATUSES,
    AgreementStatus,
    Capacity,
    Institution,
    Placement,
    PlacementModel,
    PlacementOffer,
    PlacementQuerySet,
    PlacementRequest,
    PlacementRequestStatus,
    PlacementStatus,
    Program,
    Student,
    StudentQuerySet,
)
from placements.selectors import LIST_SORTS, program_choices, unit_choices
from sites.models import HealthZone, Site, Unit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PlacementFilterForm(FilterForm):
    """The list's filters, one field each, applied by `Placement.objects.matching` (by
    the same names). An invalid value is reported next to its field and ignored. Units
    are offered for the chosen site only: a province has thousands, and a unit means
    little without its site."""

    SORTS = (
        ("-start", "Start date, latest first"),
        ("start", "Start date, earliest first"),
        ("student", "Student, A to Z"),
        ("-student", "Student, Z to A"),
        ("site", "Site, A to Z"),
        ("-site", "Site, Z to A"),
        ("status", "Status, A to Z"),
        ("-status", "Status, Z to A"),
    )
    ANY = ("", "Any")

    q = forms.CharField(label="Student", required=False, help_text="Name, email or number")
    site = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    unit = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    program = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    profession = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    status = forms.ChoiceField(choices=[ANY, *PlacementStatus.choices], required=False)
    model = forms.ChoiceField(choices=[ANY, *PlacementModel.choices], required=False)
    start_from = forms.DateField(label="Starts on or after", required=False, widget=DateInput())
    start_to = forms.DateField(label="Starts on or before", required=False, widget=DateInput())
    team = forms.ChoiceField(
        label="Mentoring team",
        choices=[ANY, ("incomplete", "Incomplete")],
        required=False,
        help_text="Incomplete: no primary preceptor or, in IP mentoring, no mentor of "
        "another profession.",
    )
    sort = forms.ChoiceField(choices=SORTS, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.site_names: dict[int, str] = dict(site_choices_for(user))
        self.fields["site"].choices = [self.ANY, *self.site_names.items()]
        # A profession without a program has no students, so no placement to filter. A
        # coordinator's placements are all of their programs' students.
        coordinator_only = has_role(user, "coordinator") and not (
            user.is_admin or user.is_facilitator or user.is_preceptor
        )
        programs = program_choices(programs_coordinated_by(user) if coordinator_only else None)
        professions = sorted({(prof, name) for _, _, prof, name in programs}, key=lambda p: p[1])
        self.fields["program"].choices = [self.ANY, *((pk, label) for pk, label, _, _ in programs)]
        self.fields["profession"].choices = [self.ANY, *professions]
        self._offer_units()
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if select else "form-control"

    def _offer_units(self) -> None:
        field = cast(forms.ChoiceField, self.fields["unit"])
        site_id = _int_or_none(self["site"].data)
        if site_id in self.site_names:
            field.choices = [self.ANY, *unit_choices(site_id)]
            return
        field.help_text = "Choose a site and filter to list its units."
        field.choices = [self.ANY]
        # A unit without a site (a bookmarked or shared link) still filters, if visible.
        unit_id = _int_or_none(self["unit"].data)
        if unit_id is not None:
            units = Unit.objects.filter(pk=unit_id, site_id__in=self.site_names)
            for pk, name, unit_site_id in units.values_list("pk", "name", "site_id"):
                field.choices = [self.ANY, (pk, f"{self.site_names[unit_site_id]} — {name}")]

    @property
    def ordering(self) -> str:
        """The list's order as chosen ("-start", latest start first, unless another)."""
        self.is_valid()
        return self.cleaned_data.get("sort") or "-start"

    @property
    def sort_key(self) -> str:
        """The column the list is sorted by (a key of selectors.LIST_SORTS)."""
        return self.ordering.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.ordering.startswith("-")

    def filters(self) -> dict:
        """The valid filters by field name (an invalid one is left out)."""
        self.is_valid()  # fills cleaned_data with the valid fields only
        return {
            name: self.cleaned_data[name]
            for name in self.fields
            if name not in ("sort", "team") and name in self.cleaned_data
        }

    @property
    def in_use(self) -> int:
        """How many filters have a valid value (the sort is not a filter)."""
        self.is_valid()
        return sum(
            1
            for name in self.fields
            if name != "sort" and self.cleaned_data.get(name) not in (None, "")
        )

    def filter(self, placements: PlacementQuerySet) -> QuerySet[Placement]:
        """`placements` as the list shows them: filtered, in the list's order."""
        order = LIST_SORTS[self.sort_key].order(self.descending)
        matching = placements.matching(**self.filters())
        if self.cleaned_data.get("team") == "incomplete":
            # The team rule is the mentoring app's (the to-do list links here with it).
            matching = matching.exclude(team_complete_q())
        return matching.order_by(*order)


class StudentFilterForm(FilterForm):
    """The students list's filters: a search and a program (one of the person's). An
    invalid value is reported next to its field and ignored."""

    q = forms.CharField(
        label="Student", required=False, max_length=200, help_text="Name, email or number"
    )
    program = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)

    def __init__(self, *args, programs: list[tuple[int, str, int, str]], **kwargs):
        """`programs`: the person's programs (`selectors.program_choices`)."""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["program"]).choices = [
            ("", "All my programs"),
            *((pk, label) for pk, label, _, _ in programs),
        ]
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if select else "form-control"

    @property
    def in_use(self) -> int:
        self.is_valid()
        return sum(1 for name in self.fields if self.cleaned_data.get(name) not in (None, ""))

    def filter(self, students: StudentQuerySet) -> StudentQuerySet:
        """`students` as the list shows them: filtered by the valid fields."""
        self.is_valid()  # fills cleaned_data with the valid fields only
        if program := self.cleaned_data.get("program"):
            students = students.filter(program_id=program)
        if text := self.cleaned_data.get("q"):
            students = students.matching(text)
        return students


def _int_or_none(value) -> int | None:
    """A raw id from the query string, or None for anything else (ipcop.lib.params)."""
    return id_param(value)


def _find_student(value: str) -> Student:
    students = Student.objects.select_related("user", "program")
    found = list(students.filter(Q(user__email__iexact=value) | Q(student_number=value))[:2])
    if not found:
        raise ValidationError("No student has this email or student number.")
    if len(found) > 1:
        raise ValidationError(
            "Several enrolments match; enter the student number of the one to place."
        )
    return found[0]


class _UnitChoiceField(ModelChoiceField):
    """Units of several sites: each option names its site."""

    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.site} — {obj.name}"


class PlacementForm(forms.Form):
    """Create (with `student`) or edit (without) a placement."""

    student = forms.CharField(
        help_text="The student's email address or student number.", max_length=254
    )
    site: ModelChoiceField[Site] = ModelChoiceField(queryset=None)
    unit = _UnitChoiceField(queryset=None, required=False)
    start_date = forms.DateField(widget=DateInput())
    end_date = forms.DateField(widget=DateInput())
    model = forms.ChoiceField(choices=PlacementModel.choices, initial=PlacementModel.IP_MENTORING)
    contact = forms.EmailField(
        label="Contact's email",
        required=False,
        help_text="Whom the student contacts at the site; the person needs an account.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user, placement: Placement | None = None, **kwargs):
        if placement is not None:
            kwargs.setdefault(
                "initial",
                {
                    "site": placement.site_id,
                    "unit": placement.unit_id,
                    "start_date": placement.start_date,
                    "end_date": placement.end_date,
                    "model": placement.model,
                    "contact": placement.contact.email if placement.contact is not None else "",
                    "notes": placement.notes,
                },
            )
        super().__init__(*args, **kwargs)
        if placement is not None:
            del self.fields["student"]
        sites = sites_facilitated_by(user)
        cast(ModelChoiceField, self.fields["site"]).queryset = sites
        cast(ModelChoiceField, self.fields["unit"]).queryset = Unit.objects.filter(
            site__in=sites
        ).select_related("site")

    def clean_student(self) -> Student:
        return _find_student(self.cleaned_data["student"].strip())

    def clean_contact(self):
        email = self.cleaned_data["contact"]
        if not email:
            return None
        contact = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if contact is None:
            raise ValidationError("Nobody with this email has an account.")
        return contact

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The placement cannot end before it starts.")
        unit, site = data.get("unit"), data.get("site")
        if unit and site and unit.site_id != site.pk:
            self.add_error("unit", f"{unit.name} is not a unit of {site}.")
        return data


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=PlacementStatus.choices)
    note = forms.CharField(max_length=255, required=False)
    # An admin's explicit choice to confirm a placement that no affiliation agreement
    # covers, with the reason (the service audits it and keeps it in the history).
    override_agreement = forms.BooleanField(required=False)
    override_reason = forms.CharField(max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("override_agreement") and not cleaned.get("override_reason", "").strip():
            self.add_error("override_reason", "Give the reason for overriding the agreement check.")
        if not cleaned.get("override_agreement"):
            cleaned["override_reason"] = ""
        return cleaned


class StatusNoteForm(forms.Form):
    """The note a status change writes in the placement's history: optional, except
    the reason for cancelling (one placement, or many at once)."""

    note = forms.CharField(
        max_length=255, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 255})
    )

    def __init__(self, *args, cancelling: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["note"]
        field.required = cancelling
        if cancelling:
            field.label = "Reason for cancelling"
            field.help_text = "Shown in the placement's history."
            field.error_messages["required"] = "Give the reason for cancelling."
        else:
            field.label = "Note (optional)"
            field.help_text = "Shown in each placement's history."


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds", choices=list(KINDS.items()))
    file = forms.FileField(
        label="CSV or Excel (.xlsx) file",
        help_text="A UTF-8 CSV, or the first sheet of an .xlsx workbook; its first row names "
        f"the columns. Up to {MAX_ROWS:,} rows are checked at once; a larger file, up to "
        f"{MAX_JOB_ROWS:,} rows ({MAX_JOB_BYTES // 1_000_000} MB), in the background.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_JOB_BYTES:
            raise ValidationError(
                f"The file is larger than {MAX_JOB_BYTES // 1_000_000} MB; split it."
            )
        return upload

    def __init__(self, *args, kinds: tuple[str, ...] = tuple(KINDS), **kwargs):
        """`kinds`: what the person may import (`ipcop.permissions.import_kinds_for`)."""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (kind, KINDS[kind]) for kind in kinds
        ]

    @staticmethod
    def columns():
        return COLUMNS


class CapacityForm(forms.ModelForm):
    """Places a site (or one of its units) offers one profession over a period."""

    class Meta:
        model = Capacity
        fields = ("site", "unit", "profession", "period_start", "period_end", "places")
        widgets = {"period_start": DateInput(), "period_end": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        sites = sites_facilitated_by(user)
        self.fields["site"].queryset = sites
        self.fields["unit"].queryset = Unit.objects.filter(site__in=sites).select_related("site")
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.site} — {unit.name}"
        self.fields["unit"].help_text = "Leave empty for places anywhere at the site."


def add_months(month: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` after (or before) `month`'s."""
    year, index = divmod(month.month - 1 + months, 12)
    return datetime.date(month.year + year, index + 1, 1)


class MonthInput(forms.TextInput):
    input_type = "month"


class CalendarForm(FilterForm):
    """The placement calendar's period and filters, from the query string. An invalid
    value is reported next to its field and the calendar shows without it (the current
    month, three months, no filter), as the placements list does with its filters."""

    MONTHS = ((1, "1 month"), (2, "2 months"), (3, "3 months"), (6, "6 months"))
    DEFAULT_MONTHS = 3
    ANY = ("", "Any")

    start = forms.CharField(
        label="From month",
        required=False,
        widget=MonthInput(),
        help_text="Year and month, such as 2026-12.",
    )
    months = forms.TypedChoiceField(
        label="Months shown", choices=MONTHS, coerce=int, required=False, empty_value=None
    )
    program = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    profession = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        programs = program_choices()
        self.program_professions = {pk: profession for pk, _, profession, _ in programs}
        professions = sorted({(prof, name) for _, _, prof, name in programs}, key=lambda p: p[1])
        self.labels: dict[str, dict[int, str]] = {
            "program": {pk: label for pk, label, _, _ in programs},
            "profession": dict(professions),
        }
        self.fields["program"].choices = [self.ANY, *self.labels["program"].items()]
        self.fields["profession"].choices = [self.ANY, *professions]
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if select else "form-control"

    def clean_start(self) -> datetime.date | None:
        value = self.cleaned_data["start"].strip()
        if not value:
            return None
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value)
        month = int(match[2]) if match else 0
        if match is None or not 1 <= month <= 12:
            raise ValidationError("Give a month as year and month, such as 2026-12.")
        first = datetime.date(int(match[1]), month, 1)
        # The last month shown must still be a plausible date too (six months later).
        if first < EARLIEST or first.year >= LATEST.year:
            raise ValidationError(
                f"Give a month between {EARLIEST:%Y-%m} and {LATEST.year - 1}-12."
            )
        return first

    def clean(self):
        data = super().clean()
        program, profession = data.get("program"), data.get("profession")
        if (
            program is not None
            and profession is not None
            and self.program_professions.get(program) != profession
        ):
            self.add_error("profession", "This program's students are of another profession.")
        return data

    @classmethod
    def for_query(cls, query: QueryDict, *, today: datetime.date) -> CalendarForm:
        """The form of a query string; without a period, this month and DEFAULT_MONTHS,
        so that the fields show the period on screen."""
        data = query.copy()
        data.setdefault("start", f"{today:%Y-%m}")
        data.setdefault("months", str(cls.DEFAULT_MONTHS))
        return cls(data)

    def period(self, today: datetime.date) -> tuple[datetime.date, int]:
        """The first month and the number of months shown: the valid ones asked for,
        else this month and DEFAULT_MONTHS."""
        self.is_valid()
        first = self.cleaned_data.get("start") or today.replace(day=1)
        return first, self.cleaned_data.get("months") or self.DEFAULT_MONTHS

    def filters(self) -> dict:
        """`program_id` and `profession_id` for placements.selectors.site_calendar (an
        invalid one is left out)."""
        self.is_valid()
        program = self.cleaned_data.get("program")
        profession = self.cleaned_data.get("profession")
        if profession is None and program is not None:
            # A program's places are those of its profession.
            profession = self.program_professions[program]
        return {"program_id": program, "profession_id": profession}

    def link(self, month: datetime.date, *, today: datetime.date) -> str | None:
        """The query string of the calendar from `month` with the same number of months
        and the valid filters (a bad value is not carried on); None past the dates the
        calendar may show."""
        if month < EARLIEST or month.year >= LATEST.year:
            return None
        _, months = self.period(today)
        kept: dict[str, str | int] = {"start": f"{month:%Y-%m}", "months": months}
        for name in ("program", "profession"):
            if self.cleaned_data.get(name) is not None:
                kept[name] = self.cleaned_data[name]
        return "?" + urlencode(kept)

    def filter_labels(self) -> list[str]:
        """The program and profession chosen, in words (the printed page has no form)."""
        self.is_valid()
        return [
            self.labels[name][self.cleaned_data[name]]
            for name in ("program", "profession")
            if self.cleaned_data.get(name) is not None
        ]


class AgreementForm(forms.Form):
    """An affiliation agreement, as an admin records it: its parties (the institution and
    one site or one health zone), dates, status, document and notes."""

    institution: ModelChoiceField[Institution] = ModelChoiceField(
        queryset=Institution.objects.order_by("name")
    )
    site: ModelChoiceField[Site] = ModelChoiceField(
        queryset=Site.objects.order_by("name"),
        required=False,
        help_text="For an agreement with one site. Leave empty for a zone's.",
    )
    zone = forms.ChoiceField(
        label="Health zone",
        choices=[("", "—"), *HealthZone.choices],
        required=False,
        help_text="For an agreement with a health authority covering every site of a zone.",
    )
    starts_on = forms.DateField(label="Starts on", widget=DateInput())
    ends_on = forms.DateField(
        label="Ends on",
        widget=DateInput(),
        required=False,
        help_text="Leave empty for an open-ended agreement.",
    )
    status = forms.ChoiceField(
        choices=AgreementStatus.choices,
        help_text="Only an agreement in force lets placements be confirmed.",
    )
    document = forms.FileField(
        required=False,
        help_text="The signed agreement: a PDF, PNG or JPEG file. A new file replaces the "
        "stored one.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document:
            check_upload(document)
        return document

    def clean(self):
        cleaned = super().clean()
        site, zone = cleaned.get("site"), cleaned.get("zone")
        if site and zone:
            self.add_error("zone", "Choose a site or a health zone, not both.")
        elif not site and not zone and "site" not in self.errors:
            self.add_error("site", "Choose the site, or the health zone, the agreement is with.")
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "An agreement cannot end before it starts.")
        return cleaned


# --- Placement requests and offers ---------------------------------------------------------


class _StudentChoiceField(ModelMultipleChoiceField):
    """Students as ticked boxes, each named with their number and cohort year."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Student) -> str:
        extra = ", ".join(
            part
            for part in (obj.student_number, str(obj.cohort_year) if obj.cohort_year else "")
            if part
        )
        return f"{obj.user.full_name}" + (f" ({extra})" if extra else "")


class _OneSitesUnitField(ModelChoiceField):
    """Units of one site: each option is the unit's name."""

    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


class RequestFilterForm(FilterForm):
    """The requests list's status filter: the open ones (waiting on either side) unless
    another is chosen."""

    STATUSES = (
        ("open", "Open (awaiting an answer)"),
        *PlacementRequestStatus.choices,
        ("all", "All"),
    )
    status = forms.ChoiceField(choices=STATUSES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.attrs["class"] = "form-select"

    @property
    def chosen(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("status") or "open"

    def filter(self, requests: QuerySet[PlacementRequest]) -> QuerySet[PlacementRequest]:
        status = self.chosen
        if status == "open":
            return requests.filter(status__in=OPEN_REQUEST_STATUSES)
        if status == "all":
            return requests
        return requests.filter(status=status)


class RequestStartForm(forms.Form):
    """The first step of a new request, from the query string: which program's students,
    at which site (the second step offers that program's students and that site's
    units)."""

    program: ModelChoiceField[Program] = ModelChoiceField(queryset=None)
    site: ModelChoiceField[Site] = ModelChoiceField(queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        cast(ModelChoiceField, self.fields["program"]).queryset = programs_coordinated_by(
            user
        ).select_related("institution")
        cast(ModelChoiceField, self.fields["site"]).queryset = sites_requestable_by(user).order_by(
            "name"
        )


class PlacementRequestForm(forms.Form):
    """The students (one, or several for a cohort) of the chosen program, and the unit,
    period, model and notes of their requests."""

    students = _StudentChoiceField(
        queryset=None, help_text="Tick one student, or several to request for a cohort."
    )
    unit = _OneSitesUnitField(
        queryset=None, required=False, help_text="Leave empty for anywhere at the site."
    )
    start_date = forms.DateField(widget=DateInput())
    end_date = forms.DateField(widget=DateInput())
    model = forms.ChoiceField(choices=PlacementModel.choices, initial=PlacementModel.IP_MENTORING)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user, program: Program, site: Site, **kwargs):
        super().__init__(*args, **kwargs)
        cast(ModelChoiceField, self.fields["students"]).queryset = (
            students_requestable_by(user)
            .filter(program=program)
            .select_related("user")
            .order_by("user__full_name", "pk")
        )
        cast(ModelChoiceField, self.fields["unit"]).queryset = Unit.objects.filter(
            site=site
        ).order_by("name")

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The placement cannot end before it starts.")
        return data


class RequestDeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason for declining",
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 255}),
        help_text="The program's coordinators read it in the email and the request's history.",
        error_messages={"required": "Give the reason for declining."},
    )


class RequestProposeForm(forms.Form):
    """Another period or another unit of the request's site."""

    start_date = forms.DateField(label="Proposed start", widget=DateInput())
    end_date = forms.DateField(label="Proposed end", widget=DateInput())
    unit = _OneSitesUnitField(
        queryset=None, required=False, help_text="Leave empty for anywhere at the site."
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 200}),
    )

    def __init__(self, *args, request: PlacementRequest, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "start_date": request.start_date,
                "end_date": request.end_date,
                "unit": request.unit_id,
            },
        )
        super().__init__(*args, **kwargs)
        cast(ModelChoiceField, self.fields["unit"]).queryset = Unit.objects.filter(
            site_id=request.site_id
        ).order_by("name")

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The proposed period cannot end before it starts.")
        return data


class RequestNoteForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 255}),
        help_text="Shown in the request's history.",
    )


class PlacementOfferForm(forms.Form):
    """Places a site (or one of its units) offers one profession over a period."""

    site: ModelChoiceField[Site] = ModelChoiceField(queryset=None)
    unit = _UnitChoiceField(
        queryset=None, required=False, help_text="Leave empty for places anywhere at the site."
    )
    profession: ModelChoiceField[Profession] = ModelChoiceField(
        queryset=Profession.objects.order_by("name")
    )
    start_date = forms.DateField(widget=DateInput())
    end_date = forms.DateField(widget=DateInput())
    places = forms.IntegerField(min_value=1, max_value=500)
    model = forms.ChoiceField(choices=PlacementModel.choices, initial=PlacementModel.IP_MENTORING)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        sites = sites_facilitated_by(user)
        cast(ModelChoiceField, self.fields["site"]).queryset = sites.order_by("name")
        cast(ModelChoiceField, self.fields["unit"]).queryset = (
            Unit.objects.filter(site__in=sites)
            .select_related("site")
            .order_by("site__name", "name")
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The offer cannot end before it starts.")
        unit, site = data.get("unit"), data.get("site")
        if unit and site and unit.site_id != site.pk:
            self.add_error("unit", f"{unit.name} is not a unit of {site}.")
        return data


class OfferClaimForm(forms.Form):
    students = _StudentChoiceField(
        queryset=None, help_text="Tick the students to place; each takes one of the places."
    )

    def __init__(self, *args, user, offer: PlacementOffer, **kwargs):
        super().__init__(*args, **kwargs)
        cast(ModelChoiceField, self.fields["students"]).queryset = (
            students_requestable_by(user)
            .filter(program__profession=offer.profession_id)
            .select_related("user")
            .order_by("user__full_name", "pk")
        )
