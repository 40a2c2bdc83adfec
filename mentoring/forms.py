"""Forms of the mentoring app. They collect input; the rules are in services.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils import timezone

from ipcop.lib.forms import ModelChoiceField, ModelMultipleChoiceField

from .models import Activity

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
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A few lines on what you learned about other professions' roles.",
    )


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end date is before the start date.")
        return data
