"""Forms of the interviews app. They parse input; the services decide the rules."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from interviews.models import FollowUpStatus, InterviewMode, Theme
from interviews.selectors import DUE_FILTERS
from ipcop.lib.widgets import FastSelect, PlainChoices


class FollowUpFilterForm(forms.Form):
    """The list's filters. Sites are offered as (id, name) rows read once: the same rows
    name the listed follow-ups' sites (`site_names`), so the list's query joins no site.
    An invalid value is reported next to its field and the filters are ignored."""

    site = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, widget=FastSelect)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *FollowUpStatus.choices], required=False, widget=FastSelect
    )
    due = forms.ChoiceField(
        choices=[("", "Any due date"), *DUE_FILTERS.items()], required=False, widget=FastSelect
    )

    def __init__(self, *args, site_choices: list[tuple[int, str]], **kwargs):
        """`site_choices`: (id, name) of the sites the person sees, by name
        (`ipcop.permissions.site_choices_for`)."""
        super().__init__(*args, **kwargs)
        self.site_names: dict[int, str] = dict(site_choices)
        self.fields["site"].choices = PlainChoices([("", "All my sites"), *site_choices])
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"


class ScheduleForm(forms.Form):
    interviewer = forms.ModelChoiceField(
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
    themes = forms.ModelMultipleChoiceField(
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
    theme = forms.ModelChoiceField(
        queryset=Theme.objects.active(), required=False, empty_label="No theme"
    )
    may_publish = forms.BooleanField(
        label="The speaker agreed that this quote may be published", required=False
    )


class ThemeForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ThemeMergeForm(forms.Form):
    target = forms.ModelChoiceField(queryset=None, label="Merge into")

    def __init__(self, *args, theme: Theme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Theme.objects.active().exclude(pk=theme.pk)


class ReportSiteField(forms.TypedChoiceField):
    """One of the person's sites, by id. Until the form is offered them
    (`ReportForm.offer_sites`), any id passes: the report's statement reads the person's
    sites with the report and keeps only those (`outcomes_report_for`)."""

    sites_known = True

    def valid_value(self, value) -> bool:
        return not self.sites_known or super().valid_value(value)


class ReportForm(forms.Form):
    """The report's scope. Sites are offered as (id, name) rows read once; the same rows
    name the sites in the report (`site_names`)."""

    site = ReportSiteField(coerce=int, empty_value=None, required=False, widget=FastSelect)
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)

    def __init__(self, *args, site_choices: list[tuple[int, str]] | None = None, **kwargs):
        """`site_choices`: (id, name) of the person's sites, by name
        (`interviews.selectors.report_site_choices`); None if they are to be read with the
        report (then `offer_sites` checks the site asked for)."""
        super().__init__(*args, **kwargs)
        self.fields["site"].widget.attrs["class"] = "form-select"
        self.fields["site"].sites_known = site_choices is not None
        self._set_site_choices(site_choices or [])

    def _set_site_choices(self, site_choices: list[tuple[int, str]]) -> None:
        self.site_names: dict[int, str] = dict(site_choices)
        self.fields["site"].choices = PlainChoices([("", "All my sites"), *site_choices])

    def offer_sites(self, site_choices: list[tuple[int, str]]) -> bool:
        """Offer the person's sites, (id, name) by name, and reject a site asked for that
        is not one of them, as a choice field does. Whether the form is valid."""
        self.is_valid()  # cleaned first, as the form was made: any site id passes
        self._set_site_choices(site_choices)
        field = self.fields["site"]
        field.sites_known = True
        if self.cleaned_data.get("site") not in (None, *self.site_names):
            self.add_error(
                "site",
                ValidationError(
                    field.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": self["site"].data},
                ),
            )
            self._mark_invalid_site()
        return not self.errors

    def full_clean(self):
        super().full_clean()
        if "site" in self.errors:
            self._mark_invalid_site()

    def _mark_invalid_site(self) -> None:
        attrs = self.fields["site"].widget.attrs
        if "is-invalid" not in attrs["class"]:
            attrs["class"] += " is-invalid"

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - timedelta(days=365)
        if data["start"] > data["end"]:
            self.add_error("end", "The end of the period must be after its start.")
        return data
