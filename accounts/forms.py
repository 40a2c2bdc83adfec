"""Forms of the accounts app: the email field every person form uses, the password-reset
request, and the admin's person forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, PasswordResetForm, UserChangeForm

from accounts import services
from accounts.identifiers import normalise_email
from accounts.models import User


class EmailIdentifierField(forms.EmailField):
    """An email field that normalises (accounts.identifiers) before validating, so the
    validators, the uniqueness check and the database see the form that is stored."""

    def to_python(self, value):
        return normalise_email(super().to_python(value))


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form, but nothing is looked up or sent while the page waits: it
    enqueues the address and the task does the rest (accounts.tasks.send_password_reset),
    so every address gets the same answer in the same time."""

    email = EmailIdentifierField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def save(self, *args, **kwargs) -> None:
        services.password_reset_request(email=self.cleaned_data["email"])


class UserCreationForm(AdminUserCreationForm):
    """The admin's add form for the email-login user (no username field)."""

    class Meta:
        model = User
        fields = ("email", "full_name", "profession")
        field_classes = {"email": EmailIdentifierField}


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": EmailIdentifierField}
