"""Form helpers shared by the apps' views."""

from django import forms
from django.core.exceptions import ValidationError


def attach_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: messages keyed by a field the form
    has go next to that field, everything else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
