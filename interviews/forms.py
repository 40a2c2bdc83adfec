"""Forms of the interviews app. They parse input; the services decide the rules."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from interviews.models import FollowUpStatus, InterviewMode, Theme
from interviews.selectors.followups import DUE_FILTERS
from ipcop.lib import dates
from ipcop.lib.forms import FilterForm, ModelChoiceField, ModelMultipleChoiceField, rendering_key


class FollowUpFilterForm(FilterForm):
    """The list's filters. An invalid value is reported next to its field and the
    filters are ignored."""

    site = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *FollowUpStatus.choices], required=False
    )
    due = forms.ChoiceField(choices=[("", "Any due date"), *DUE_FILTERS.items()], required=False)

    def __init__(self, *args, site_choices: list[tuple[int, str]], **kwargs):
        """`site_choices`: (id, name) of the sites the person sees, by name
        (`ipcop.permissions.site_choices_for`)."""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["site"]).choices = [("", "All my sites"), *site_choices]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    @cached_property
    def rendering_key(self) -> str:
        return rendering_key(self, timezone.localdate())  # the report's default period


class ScheduleForm(forms.Form):
    interviewer: ModelChoiceField[User] = ModelChoiceField(
        queryset=User.objects.filter(is_active=True)
        .filter(Q(is_facilitator=True) | Q(is_staff=True))
        .order_by("full_name"),
        help_text="Facilitators and administrators conduct follow-up interviews.",
    )
    scheduled_at = forms.DateTimeField(
        label="Date and time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    mode = forms.ChoiceField(choices=InterviewMode.choices, widget=forms.RadioSelect)
    location = forms.CharField(
        label="Place or link",
        max_length=500,
        required=False,
        help_text="A room or an address (in person) or a video link. Optional for phone.",
    )


class CancelForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("cancel", "Cancel the follow-up"),
            ("decline", "The participant declined"),
            ("missed", "The interview was missed"),
        ],
        widget=forms.RadioSelect,
        label="What happened?",
    )


class ConsentForm(forms.Form):
    consent_given = forms.TypedChoiceField(
        label="Did the participant consent to the interview being recorded?",
        choices=[("yes", "Yes, consent given"), ("no", "No, the participant declined")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class InterviewRecordForm(forms.Form):
    conducted_on = forms.DateField(
        label="Interview date", widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False)
    themes: ModelMultipleChoiceField[Theme] = ModelMultipleChoiceField(
        queryset=Theme.objects.active(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Themes of change",
    )

    def clean_conducted_on(self):
        value = self.cleaned_data["conducted_on"]
        if value > timezone.localdate():
            raise ValidationError("The interview date cannot be in the future.")
        return value


class QuoteForm(forms.Form):
    text = forms.CharField(label="Quote", widget=forms.Textarea(attrs={"rows": 3}))
    speaker_role = forms.CharField(
        label="Speaker's role", max_length=120, help_text='For example "Nurse preceptor".'
    )
    theme: ModelChoiceField[Theme] = ModelChoiceField(
        queryset=Theme.objects.active(), required=False, empty_label="No theme"
    )
    may_publish = forms.BooleanField(
        label="The speaker agreed that this quote may be published", required=False
    )


class ThemeForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ThemeMergeForm(forms.Form):
    target: ModelChoiceField[Theme] = ModelChoiceField(queryset=None, label="Merge into")

    def __init__(self, *args, theme: Theme, **kwargs):
        super().__init__(*args, **kwargs)
        cast(ModelChoiceField, self.fields["target"]).queryset = Theme.objects.active().exclude(
            pk=theme.pk
        )


class ReportForm(forms.Form):
    """The report's scope: one of the person's sites or all of them, and a period (the
    last year by default). `site_names` names the sites offered."""

    site = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)

    def __init__(self, *args, site_choices: list[tuple[int, str]], **kwargs):
        """`site_choices`: (id, name) of the person's sites, by name
        (`interviews.selectors.report.report_site_choices`)."""
        super().__init__(*args, **kwargs)
        self.site_names: dict[int, str] = dict(site_choices)
        cast(forms.ChoiceField, self.fields["site"]).choices = [("", "All my sites"), *site_choices]
        self.fields["site"].widget.attrs["class"] = "form-select"

    def full_clean(self):
        super().full_clean()
        if "site" in self.errors:
            self.fields["site"].widget.attrs["class"] += " is-invalid"

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not dates.is_plausible(value):
                self.add_error(name, f"Give a date between {dates.EARLIEST} and {dates.LATEST}.")
                data[name] = None
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - timedelta(days=365)
        if data["start"] > data["end"]:
            self.add_error("end", "The end of the period must be after its start.")
        return data

    @cached_property
    def rendering_key(self) -> str:
        return rendering_key(self, timezone.localdate())  # the report's default period

    def sites(self) -> dict[int, str]:
        """The sites the report covers (ids to names): the one chosen, or all offered."""
        site = self.cleaned_data["site"]
        return self.site_names if site is None else {site: self.site_names[site]}
