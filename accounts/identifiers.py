"""What identifies a person, written one way everywhere.

An email address is normalised once, by `normalise_email`, and that form is what is
stored, looked up at login, kept unique and used as the key of login throttling, so two
spellings of one address can never be two accounts or two counters. (Comparing in the
database with UPPER/LOWER instead would follow PostgreSQL's case rules, which differ from
Python's: "bıll" with a dotless ı is "BILL" to PostgreSQL.)

Names and other text that end up in email headers are made one clean line by
`clean_header_text`, on input and again when an email is built.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

CONFUSABLE_MESSAGE = (
    "Use an address written in plain ASCII letters, digits and punctuation: “{value}” "
    "contains other characters that may look like them (such as a dotless ı or a Cyrillic а). "
    "An internationalised domain name can be given in its xn-- form."
)


def normalise_email(value: str) -> str:
    """The one form of an email address: trimmed, Unicode NFKC (full-width and
    compatibility characters become their plain form), then case-folded (a stronger
    lower-case: "ß" is "ss"). The whole address is folded, local part included: two
    addresses differing only by case are one person here."""
    return unicodedata.normalize("NFKC", str(value or "").strip()).casefold()


def confusable_error(email: str) -> str | None:
    """Why an address may not be given to a new account or an import, or None.

    The rule: after `normalise_email`, the address must be ASCII. Non-ASCII letters can
    be made to look like ASCII ones ("bıll" with a dotless ı, "аnn" with a Cyrillic а),
    so an address containing one could pass for someone else's. IPCoP's people use
    institutional ASCII addresses; an internationalised domain still works as xn--."""
    normalised = normalise_email(email)
    if normalised.isascii():
        return None
    return CONFUSABLE_MESSAGE.format(value=normalised)


def validate_email_identifier(value: str) -> None:
    """Model and form validator for `confusable_error`."""
    message = confusable_error(value)
    if message:
        raise ValidationError(message, code="confusable")


# Control characters (CR, LF, NUL, ESC, NEL…) and the line/paragraph separators break a
# header onto a new line or smuggle bytes into it; they become a space. Bidirectional
# overrides and isolates reorder what a reader sees ("\u202egnp.exe"); they go.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


def clean_header_text(value: str | None) -> str:
    """One clean line: control characters and line breaks become single spaces, bidi
    overrides are removed, runs of white space collapse, ends are trimmed. For names and
    any stored text that may end up in an email header (a subject, a display name)."""
    text = _BIDI_CONTROLS.sub("", _BREAKS.sub(" ", str(value or "")))
    return _SPACES.sub(" ", text).strip()
