"""Forms of the sites app. They only parse input; the rules live in sites/services.py, and
`ipcop.lib.forms.attach_service_errors` puts a service's ValidationError next to the field it concerns."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.forms import EmailIdentifierField
from accounts.models import Profession, User
from ipcop.lib.formats import human_date
from ipcop.lib.forms import ModelChoiceField, ModelMultipleChoiceField, attach_service_errors
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


MEMBER_SEARCH_MIN_LENGTH = 2
NO_ACCOUNT_WITH_EMAIL = "No active account with that exact email."


class MemberSearchForm(forms.Form):
    """The add-member page's search, and its type-ahead's: a name or an email (or part of
    one), among the people the CoP may offer. Bad input is refused with a message."""

    q = forms.CharField(
        label="Name or email",
        required=False,
        max_length=100,
        error_messages={"max_length": "Search with at most %(limit_value)d characters."},
    )

    def clean_q(self) -> str:
        q = self.cleaned_data["q"]
        if 0 < len(q) < MEMBER_SEARCH_MIN_LENGTH:
            raise ValidationError(f"Type at least {MEMBER_SEARCH_MIN_LENGTH} characters.")
        return q


class MembershipAddForm(forms.Form):
    """Who joins: one of the people the CoP may offer (`person`, whose choices are the
    page's search results), or anyone else with an active account by their exact email
    (`email`; no match reveals nothing about other addresses). `cleaned_data["member"]`
    is the person either way."""

    person: ModelChoiceField[User] = ModelChoiceField(
        label="Person linked to the site",
        queryset=User.objects.none(),
        required=False,
        empty_label="Choose a person",
        help_text="The people the search above found, by name.",
        error_messages={
            "invalid_choice": "This person is already a member of this community or is not "
            "linked to the site: choose one of the people listed, or give the exact email "
            "of anyone else."
        },
    )
    email = EmailIdentifierField(
        label="Or anyone else, by exact email",
        required=False,
        max_length=254,
        help_text="An active account whose email address is exactly this one.",
    )
    profession: ModelChoiceField[Profession] = ModelChoiceField(
        queryset=Profession.objects.all(),
        required=False,
        empty_label="The person's own profession",
        help_text="The profession they practise in this community.",
    )
    role = forms.ChoiceField(label="Role in the community", choices=MembershipRole.choices)
    joined_on = forms.DateField(label="Joined on", widget=DateInput())

    def __init__(self, *args, people: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        # Validation accepts any of `people` (ipcop.permissions.people_offerable_as_members:
        # the type-ahead may choose one the page did not list); the page lists only the
        # search's results (`offer`), never the whole set.
        person = cast(ModelChoiceField, self.fields["person"])
        person.queryset = people.select_related("profession")
        self.offer([])

    def offer(self, people: list[dict]) -> None:
        """List `people` (sites.selectors.member_candidates rows) as the choices of
        `person`, and the person already chosen, if any."""
        chosen = getattr(self, "cleaned_data", {}).get("person")
        choices = [
            (row["pk"], candidate_label(row["full_name"], row["email"], row["profession__name"]))
            for row in people
        ]
        if chosen is not None and chosen.pk not in {row["pk"] for row in people}:
            profession = chosen.profession.name if chosen.profession else ""
            choices.insert(
                0, (chosen.pk, candidate_label(chosen.full_name, chosen.email, profession))
            )
        widget = cast(forms.Select, self.fields["person"].widget)
        widget.choices = [("", "Choose a person"), *choices]

    def clean(self):
        data = super().clean()
        if "person" in self.errors or "email" in self.errors:
            return data
        person, email = data.get("person"), data.get("email")
        if person and email:
            self.add_error("email", "Choose a person from the list or give an email, not both.")
        elif email:
            # The exact, normalised address (EmailIdentifierField): never a partial match.
            data["member"] = (
                User.objects.filter(email=email, is_active=True)
                .select_related("profession")
                .first()
            )
            if data["member"] is None:
                self.add_error("email", NO_ACCOUNT_WITH_EMAIL)
        elif person:
            data["member"] = person
        else:
            self.add_error(
                "person", "Choose a person linked to the site, or give the exact email of "
                "anyone else."
            )  # fmt: skip
        return data

    def membership(self) -> dict:
        """The keyword arguments of sites.services.membership_add."""
        data = self.cleaned_data
        return {
            "person": data["member"],
            "profession": data["profession"],
            "role": data["role"],
            "joined_on": data["joined_on"],
        }

    def attach_service_errors(self, error: ValidationError) -> None:
        """A service's errors about the person go next to the field that named them."""
        if self.cleaned_data.get("email") and hasattr(error, "error_dict"):
            error = ValidationError(
                {
                    ("email" if field == "person" else field): errors
                    for field, errors in error.error_dict.items()
                }
            )
        attach_service_errors(self, error)


def candidate_label(full_name: str, email: str, profession: str | None) -> str:
    """How the add-member page names a person it offers: "Name — email (Profession)"."""
    label = f"{full_name or email} — {email}"
    return f"{label} ({profession})" if profession else label


class MembershipEndForm(forms.Form):
    left_on = forms.DateField(label="Left on", widget=DateInput())


class AttendeeChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        label = f"{obj.person} ({obj.profession})"
        return label if obj.left_on is None else f"{label} — left {human_date(obj.left_on)}"


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
