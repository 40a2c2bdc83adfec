"""Form widgets tuned for long choice lists."""

from html import escape as html_escape

from django import forms
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import mark_safe


def escape(value) -> str:
    """django.utils.html.conditional_escape without its lazy-string wrapper, which costs
    more than the escaping itself when called for each of hundreds of options."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html_escape(str(value))


class PlainChoices(BaseChoiceIterator):
    """Choices already in Django's canonical form, a list of (value, label) pairs, e.g.
    from `values_list`. Django normalises a plain list again, choice by choice, each time
    it is assigned (to the field, then its widget): milliseconds for a province's 500
    sites, on every request."""

    def __init__(self, choices: list[tuple]):
        self.choices = choices

    def __iter__(self):
        return iter(self.choices)

    def __len__(self):
        return len(self.choices)

    def __getitem__(self, index):
        return self.choices[index]


class FastSelect(forms.Select):
    """A <select> rendered in Python: the same HTML as `forms.Select`, without one
    template include per option nor Django's per-option context dicts, which cost
    milliseconds for a filter among a province's 500 sites (the placements list).

    Single choice only; groups (`(label, [(value, label), ...])`) become <optgroup>s."""

    allow_multiple_selected = False

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        parts = []

        def option(choice_value, label):
            key = "" if choice_value is None else str(choice_value)
            # Like Django, only the first option with the value is selected.
            mark = ""
            if key in selected:
                mark = " selected"
                selected.discard(key)
            return f'<option value="{escape(key)}"{mark}>{escape(label)}</option>'

        for choice_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                inner = "".join(option(v, sub_label) for v, sub_label in label)
                parts.append(f'<optgroup label="{escape(choice_value)}">{inner}</optgroup>')
            else:
                parts.append(option(choice_value, label))
        final_attrs = self.build_attrs(self.attrs, attrs)
        return mark_safe(  # noqa: S308 — every value and label above is escaped.
            f'<select name="{escape(name)}"{flatatt(final_attrs)}>{"".join(parts)}</select>'
        )
