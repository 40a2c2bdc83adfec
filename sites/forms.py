"""Forms of the sites app. They only parse input; the rules live in sites/services.py, and
`ipcop.lib.forms.attach_service_errors` puts a service's ValidationError next to the field it concerns."""

from __future__ import annotations

from typing import cast

from django import forms

from accounts.models import Profession, User
from ipcop.lib.forms import ModelChoiceField, ModelMultipleChoiceField
from sites.models import (
    CommunityOfPractice,
    HealthZone,
    Initiative,
    InitiativeStatus,
    Membership,
    MembershipRole,
    Site,
    SiteKind,
    Unit,
)


class DateInput(forms.DateInput):
    input_type = "date"


class PersonChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name or obj.email} — {obj.email}"


class PeopleChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name or obj.email} — {obj.email}"


def _facilitator_choices():
    return User.objects.facilitators().only("id", "full_name", "email").order_by("full_name")


class SiteSearchForm(forms.Form):
    """The site list's filters. Invalid values are dropped, never an error page."""

    q = forms.CharField(label="Name", required=False, max_length=100)
    zone = forms.ChoiceField(
        label="Health zone", required=False, choices=[("", "All zones"), *HealthZone.choices]
    )
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *SiteKind.choices]
    )

    def filters(self) -> dict:
        if self.is_valid():
            return self.cleaned_data
        # Keep the valid filters only (e.g. ?zone=xyz is ignored, ?q=... still applies).
        return {name: value for name, value in self.cleaned_data.items() if value}


class SiteForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=SiteKind.choices)
    zone = forms.ChoiceField(label="Health zone", choices=HealthZone.choices)
    address = forms.CharField(max_length=255, required=False)
    city = forms.CharField(max_length=100, required=False)
    phone = forms.CharField(max_length=40, required=False)
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
    facilitators = PeopleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Facilitators who look after this site and may change it.",
    )

    def __init__(self, *args, site: Site | None = None, **kwargs):
        if site is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": site.name,
                    "kind": site.kind,
                    "zone": site.zone,
                    "address": site.address,
                    "city": site.city,
                    "phone": site.phone,
                    "is_active": site.is_active,
                    "facilitators": list(site.facilitators.values_list("pk", flat=True)),
                },
            )
        super().__init__(*args, **kwargs)
        cast(
            ModelMultipleChoiceField, self.fields["facilitators"]
        ).queryset = _facilitator_choices()


class ParseOnlyModelForm(forms.ModelForm):
    """A ModelForm used only to parse input: the instance is neither changed nor validated
    here, because the service does that (and must see the object as it was)."""

    def _post_clean(self):
        pass


class UnitForm(ParseOnlyModelForm):
    class Meta:
        model = Unit
        fields = ["name", "description"]


class CommunityForm(ParseOnlyModelForm):
    facilitators = PeopleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Facilitators who support this community.",
    )

    class Meta:
        model = CommunityOfPractice
        fields = ["name", "focus", "started_on", "status", "facilitators"]
        widgets = {"started_on": DateInput(), "focus": forms.Textarea(attrs={"rows": 3})}
        labels = {"started_on": "Started on"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            ModelMultipleChoiceField, self.fields["facilitators"]
        ).queryset = _facilitator_choices()


class MembershipAddForm(forms.Form):
    person = PersonChoiceField(
        queryset=User.objects.none(),
        help_text="People who are not yet members of this community.",
        error_messages={
            "invalid_choice": "This person is already a member of this community (or was "
            "one: a membership is kept as history) or cannot be added."
        },
    )
    profession: ModelChoiceField[Profession] = ModelChoiceField(
        queryset=Profession.objects.all(),
        required=False,
        empty_label="The person's own profession",
        help_text="The profession they practise in this community.",
    )
    role = forms.ChoiceField(label="Role in the community", choices=MembershipRole.choices)
    joined_on = forms.DateField(label="Joined on", widget=DateInput())

    def __init__(self, *args, community: CommunityOfPractice, **kwargs):
        super().__init__(*args, **kwargs)
        # Current members are left out of the choices (former members may rejoin);
        # membership_add refuses a duplicate too, for callers other than this form.
        current = Membership.objects.filter(community=community, left_on__isnull=True)
        cast(ModelChoiceField, self.fields["person"]).queryset = (
            User.objects.filter(is_active=True)
            .exclude(pk__in=current.values("person"))
            .select_related("profession")
            .order_by("full_name")
        )


class MembershipEndForm(forms.Form):
    left_on = forms.DateField(label="Left on", widget=DateInput())


class AttendeeChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        label = f"{obj.person} ({obj.profession})"
        return label if obj.left_on is None else f"{label} — left {obj.left_on:%Y-%m-%d}"


class MeetingForm(forms.Form):
    held_on = forms.DateField(label="Held on", widget=DateInput())
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=1, max_value=720, initial=60
    )
    attendees = AttendeeChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "%(value)s is not a member of this community.",
            "invalid_pk_value": "“%(pk)s” is not a member of this community.",
        },
    )
    topics = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    decisions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    action_items = forms.CharField(
        label="Action items", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, community: CommunityOfPractice, **kwargs):
        super().__init__(*args, **kwargs)
        cast(ModelMultipleChoiceField, self.fields["attendees"]).queryset = (
            Membership.objects.filter(community=community)
            .select_related("person", "profession")
            .order_by("left_on", "person__full_name")
        )


class InitiativeForm(ParseOnlyModelForm):
    class Meta:
        model = Initiative
        fields = ["title", "theme", "description", "status", "started_on", "ended_on", "outcome"]
        widgets = {
            "started_on": DateInput(),
            "ended_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"started_on": "Started on", "ended_on": "Ended on"}
        help_texts = {"status": "Later changes of status follow the workflow on the CoP page."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Status moves along the workflow only (see initiative_move).
            del self.fields["status"]


class InitiativeMoveForm(forms.Form):
    # All statuses are accepted here so a disallowed jump gets the service's message.
    status = forms.ChoiceField(choices=InitiativeStatus.choices)
