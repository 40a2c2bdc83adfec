"""Forms of the mentoring app. They collect input; the rules are in services.py."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from ipcop.lib import dates
from ipcop.lib.forms import FilterForm, ModelChoiceField, ModelMultipleChoiceField
from ipcop.lib.params import id_param
from ipcop.permissions import site_choices_for, students_visible_to
from placements.models import Placement, Student

from .models import FEEDBACK_ITEMS, Activity, Agreement, CompetencyDomain, Rating
from .services import (
    DOMAIN_COMMENT_MAX_CHARS,
    OVERALL_COMMENTS_MAX_CHARS,
    REFLECTION_EMPTY,
    STUDENT_COMMENT_MAX_CHARS,
    domain_key,
)

if TYPE_CHECKING:
    from accounts.models import User

DURATION_CHOICES = [
    (15, "15 min"),
    (30, "30 min"),
    (45, "45 min"),
    (60, "1 h"),
    (90, "1 h 30"),
    (120, "2 h"),
    (180, "3 h"),
    (240, "4 h"),
    (480, "8 h"),
]


class PersonChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name or obj.email} — {obj.profession}"


class StudentChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.user.full_name or obj.user.email} ({obj.program.profession})"


class DomainChoiceField(ModelMultipleChoiceField):
    show_framework = False

    def label_from_instance(self, obj):
        if self.show_framework:
            return f"{obj.name} ({obj.framework.code})"
        return obj.name


class SessionForm(forms.Form):
    """The one-minute session log: the common case is a few taps, everything preselected
    that can be (today, one hour, the preceptor's current students)."""

    held_on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    duration_minutes = forms.TypedChoiceField(
        label="Duration", choices=DURATION_CHOICES, coerce=int, initial=60
    )
    students = StudentChoiceField(
        label="Students present", queryset=None, widget=forms.CheckboxSelectMultiple
    )
    professionals = PersonChoiceField(
        label="Professionals present",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="You are counted as present.",
    )
    activity = forms.ChoiceField(
        label="Activity", choices=Activity.choices, widget=forms.RadioSelect
    )
    domains = DomainChoiceField(
        label="Competency domains practised",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, students, professionals, domains, duration=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["students"].queryset = students
        self.fields["professionals"].queryset = professionals
        self.fields["domains"].queryset = domains
        # Read through the field's own queryset, whose rows the rendering then reuses.
        frameworks = {d.framework_id for d in self.fields["domains"].queryset}
        self.fields["domains"].show_framework = len(frameworks) > 1
        # A duration logged earlier that is not in the list stays selectable when editing.
        if duration and duration not in dict(DURATION_CHOICES):
            field = self.fields["duration_minutes"]
            field.choices = sorted([*DURATION_CHOICES, (duration, f"{duration} min")])


class TeamForm(forms.Form):
    primary: ModelChoiceField[User] = ModelChoiceField(
        label="Primary preceptor", queryset=None, empty_label="— choose —"
    )
    mentors = PersonChoiceField(
        label="Other mentors",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["primary"].queryset = candidates
        self.fields["primary"].label_from_instance = lambda p: f"{p.full_name} — {p.profession}"
        self.fields["mentors"].queryset = candidates


class ReflectionForm(forms.Form):
    reflection = forms.CharField(
        label="Your reflection",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A few lines on what you learned about other professions' roles.",
        error_messages={"required": REFLECTION_EMPTY},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The page's heading labels the field: its label would say the same words again.
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.form_show_labels = False


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end date is before the start date.")
        return data


class StudentFilterField(ModelChoiceField[Student]):
    def label_from_instance(self, obj):
        return f"{obj.user.full_name or obj.user.email} ({obj.program.profession})"


class SessionFilterForm(FilterForm):
    """The sessions list's filters, applied by `MentoringSession.objects.matching` (by the
    same names). Sites and students are those the person may see. An invalid value is
    reported next to its field and that filter is left out."""

    q = forms.CharField(
        label="Notes mention",
        required=False,
        max_length=200,
        help_text='Words from the notes; "a phrase" in quotes, -word to leave out.',
    )
    # The sites' ids and names, not Site objects: an admin's choice of 2,500 sites.
    site = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    student = StudentFilterField(queryset=None, required=False, empty_label="Any student")
    activity = forms.ChoiceField(choices=[("", "Any activity"), *Activity.choices], required=False)
    held_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    held_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["site"]).choices = [
            ("", "Any site"),
            *site_choices_for(user),
        ]
        cast(ModelChoiceField, self.fields["student"]).queryset = self._students(user)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if select else "form-control"

    def _students(self, user: User):
        """The students offered: all the person may see, unless that may be a province's
        (admins, facilitators): then those placed at the chosen site, as the placements
        list offers units. A student given without a site (a shared link) still filters."""
        students = (
            students_visible_to(user)
            .select_related("user", "program__profession")
            .order_by("user__full_name", "pk")
        )
        if not (user.is_admin or user.is_facilitator):
            # The few they see, by id first: joined to the names to sort them, the planner
            # hashed the whole users table for a preceptor's handful of students.
            visible = list(students_visible_to(user).order_by().values_list("pk", flat=True))
            return (
                Student.objects.filter(pk__in=visible)
                .select_related("user", "program__profession")
                .order_by("user__full_name", "pk")
            )
        site_id = id_param(self["site"].data or "")
        if site_id is not None:
            return students.filter(
                pk__in=Placement.objects.filter(site_id=site_id).values("student")
            )
        self.fields["student"].help_text = "Choose a site and filter to list its students."
        student_id = id_param(self["student"].data or "")
        return students.filter(pk=student_id) if student_id else students.none()

    def clean(self):
        data = super().clean()
        for name in ("held_from", "held_to"):
            value = data.get(name)
            if value is not None and not dates.is_plausible(value):
                self.add_error(name, f"Give a date between {dates.EARLIEST} and {dates.LATEST}.")
        start, end = data.get("held_from"), data.get("held_to")
        if start and end and end < start:
            self.add_error("held_to", "The end of the period is before its start.")
        return data

    @cached_property
    def filters(self) -> dict:
        """The filters given, by field name (an invalid one is left out)."""
        if not self.is_bound:
            return {}
        self.is_valid()  # fills cleaned_data with the valid fields only
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in self.fields and value not in (None, "")
        }


# --- Placement evaluations and students' feedback ------------------------------------


# The scale from its lowest point up, then "not observed", which is off the scale.
RATING_CHOICES = [c for c in Rating.choices if c[0] != Rating.NOT_OBSERVED] + [
    (Rating.NOT_OBSERVED.value, Rating.NOT_OBSERVED.label)
]


class EvaluationForm(forms.Form):
    """A preceptor's evaluation: a rating and an optional comment for each domain of the
    student's framework, and overall comments. What a draft may leave blank and what
    submitting needs is the service's rule (services.evaluation_save)."""

    overall_comments = forms.CharField(
        label="Overall comments",
        required=False,
        max_length=OVERALL_COMMENTS_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The student's strengths and what to work on next. Needed to submit.",
    )

    def __init__(self, *args, domains: list[CompetencyDomain], **kwargs):
        super().__init__(*args, **kwargs)
        self.domains = domains
        overall = self.fields.pop("overall_comments")
        for domain in domains:
            self.fields[domain_key(domain.pk)] = forms.TypedChoiceField(
                label=domain.name,
                choices=RATING_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"comment_{domain.pk}"] = forms.CharField(
                label=f"Comment on {domain.name} (optional)",
                required=False,
                max_length=DOMAIN_COMMENT_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.fields["overall_comments"] = overall
        self.helper = FormHelper()
        self.helper.form_tag = False

    @property
    def ratings(self) -> dict[int, tuple[int | None, str]]:
        """The cleaned ratings by domain id, as services.evaluation_save takes them."""
        data = self.cleaned_data
        return {
            d.pk: (data.get(domain_key(d.pk)), data.get(f"comment_{d.pk}", ""))
            for d in self.domains
        }


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        label="Your comment (optional)",
        required=False,
        max_length=STUDENT_COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Acknowledging says you have read the evaluation. Where you see it "
        "differently, say so here: your comment stays with it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class FeedbackForm(forms.Form):
    """A student's feedback on their placement: each statement on a five-point scale,
    grouped as the site, the mentoring and their IP learning, then comments."""

    comments = forms.CharField(
        label="Comments (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Facilitators read the comments of a site together, without names, "
        "and only once five students have answered.",
    )

    def __init__(self, *args, **kwargs):
        from crispy_forms.layout import Fieldset, Layout

        super().__init__(*args, **kwargs)
        comments = self.fields.pop("comments")
        fieldsets = []
        for group, items in FEEDBACK_ITEMS:
            for name, statement in items:
                self.fields[name] = forms.TypedChoiceField(
                    label=statement,
                    choices=Agreement.choices,
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Choose an answer."},
                )
            fieldsets.append(Fieldset(group, *(name for name, _ in items)))
        self.fields["comments"] = comments
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(*fieldsets, "comments")

    @property
    def answers(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for _, items in FEEDBACK_ITEMS for name, _ in items}
