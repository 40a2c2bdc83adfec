"""Form helpers shared by the apps' views."""

import hashlib
from functools import cached_property
from typing import Generic, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model


def attach_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: messages keyed by a field the form
    has go next to that field, everything else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def rendering_key(form: forms.BaseForm, *extra: object) -> str:
    """A digest of everything a form's fields render from: the submitted values and each
    field's choices (the errors follow from both), plus `extra` (e.g. the day a default
    depends on). Templates cache the fields' HTML under it, so a change of any renders
    them again: a few hundred options through Django's widget templates cost more than
    the rest of a list page."""
    data = form.data
    state: list[object] = [
        (
            name,
            data.getlist(name) if hasattr(data, "getlist") else data.get(name),
            _choices_state(field),
        )
        for name, field in form.fields.items()
    ]
    state.extend(extra)
    return hashlib.sha256(repr(state).encode()).hexdigest()


class FilterForm(forms.Form):
    """A list's GET filters, drawn by hand in Bootstrap's markup: a field whose value is
    not valid is marked (`is-invalid`), and `rendering_key` names its fields' HTML for the
    template cache."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"

    @cached_property
    def rendering_key(self) -> str:
        return rendering_key(self)


def _choices_state(field: forms.Field) -> object:
    choices = getattr(field, "choices", None)
    if isinstance(choices, forms.models.ModelChoiceIterator):
        # Its values and labels (read once for the request), not the iterator object.
        return [(str(value), str(label)) for value, label in choices]
    return choices


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices of a model choice field, read by one ordinary query that the field's
    queryset keeps for the request. Django's own iterator reads them through
    `QuerySet.iterator()`, a server-side cursor that PostgreSQL, outside a transaction,
    must hold open (DECLARE ... WITH HOLD) and that runs again each time the choices are
    read (validation, then rendering): a choice list is a few dozen rows, not a stream."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


_M = TypeVar("_M", bound=Model)


class ModelChoiceField(forms.ModelChoiceField, Generic[_M]):
    """The project's model choice field (ruff's banned-api points here from Django's)."""

    iterator = ListedChoiceIterator


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField, Generic[_M]):
    """The project's model multiple choice field (see ModelChoiceField)."""

    iterator = ListedChoiceIterator
