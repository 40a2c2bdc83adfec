"""Form widgets tuned for long choice lists."""

from html import escape as html_escape

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString


def escape(value) -> str:
    """django.utils.html.conditional_escape without its lazy-string wrapper, which costs
    more than the escaping itself when called for each of hundreds of options."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html_escape(str(value))


def flatatt(attrs: dict) -> str:
    """django.forms.utils.flatatt's output (sorted `key="value"` pairs, then the true
    booleans) with plain string escaping: Django's `format_html_join` wraps every value
    in a lazy safe string, a third of a FastSelect's rendering."""
    pairs = sorted(
        (key, value)
        for key, value in attrs.items()
        if not isinstance(value, bool) and value is not None
    )
    flags = sorted(key for key, value in attrs.items() if value is True)
    return "".join(f' {escape(key)}="{escape(value)}"' for key, value in pairs) + "".join(
        f" {escape(key)}" for key in flags
    )


def _input_attrs(attrs: dict) -> str:
    # Django's django/forms/widgets/attrs.html: in the dict's order, False left out, True
    # as a bare name.
    return "".join(
        f" {escape(key)}" if value is True else f' {escape(key)}="{escape(value)}"'
        for key, value in attrs.items()
        if value is not False
    )


class FastInputMixin:
    """An <input> rendered in Python: the same HTML as Django's input template, without a
    template render per field (a filter form has several on every list request)."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        shown = "" if value is None else f' value="{escape(value)}"'
        final_attrs = self.build_attrs(self.attrs, attrs)
        return SafeString(  # nosec B703 - every name and value in it is escaped
            f'<input type="{escape(self.input_type)}" name="{escape(name)}"{shown}'
            f"{_input_attrs(final_attrs)}>"
        )


class FastTextInput(FastInputMixin, forms.TextInput):
    pass


class FastDateInput(FastInputMixin, forms.DateInput):
    pass


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
        final_attrs = self.build_attrs(self.attrs, attrs)
        options = self._plain_options(selected)
        if options is None:
            options = self._options(selected)
        return SafeString(  # nosec B703 - every value and label in it is escaped
            f'<select name="{escape(name)}"{flatatt(final_attrs)}>{options}</select>'
        )

    def _plain_options(self, selected: set[str]) -> str | None:
        """The options when every value is an int or a str and every label a plain str
        (a list of ids and names, nearly always), or None: all the labels, then all the
        values, escaped in one call each, at a fifth of the cost of escaping each
        option's (500 sites on every request of the placements list)."""
        choices = list(self.choices)
        if not all(type(label) is str for _, label in choices):
            return None
        keys = ["" if value is None else str(value) for value, _ in choices]
        # NUL separates the labels (no database text holds it; if one does, fall back).
        labels = "\0".join(label for _, label in choices)
        if labels.count("\0") != len(choices) - 1 or "\0" in "".join(keys):
            return None
        labels = html_escape(labels).split("\0")
        html_keys = html_escape("\0".join(keys)).split("\0")
        marks = [""] * len(choices)
        for index, key in enumerate(keys):
            if key in selected:  # like Django, only the first option with the value
                marks[index] = " selected"
                selected.discard(key)
        return "".join(
            [
                f'<option value="{key}"{mark}>{label}</option>'
                for key, mark, label in zip(html_keys, marks, labels, strict=True)
            ]
        )

    def _options(self, selected: set[str]) -> str:
        parts = []

        def option(choice_value, label):
            # Ids and plain strings, nearly every option, skip escape()'s checks: an int's
            # digits need no escaping, a str (not a SafeString) only html.escape.
            if type(choice_value) is int:
                key = html_key = str(choice_value)
            else:
                key = "" if choice_value is None else str(choice_value)
                html_key = escape(key)
            text = html_escape(label) if type(label) is str else escape(label)
            # Like Django, only the first option with the value is selected.
            mark = ""
            if selected and key in selected:
                mark = " selected"
                selected.discard(key)
            return f'<option value="{html_key}"{mark}>{text}</option>'

        for choice_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                inner = "".join(option(v, sub_label) for v, sub_label in label)
                parts.append(f'<optgroup label="{escape(choice_value)}">{inner}</optgroup>')
            else:
                parts.append(option(choice_value, label))
        return "".join(parts)
