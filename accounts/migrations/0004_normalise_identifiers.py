"""Store every email in its normalised form (NFKC, then case-folded) and every name and
phone as one clean line, as `User.save` does from now on.

Two accounts whose emails normalise to one address cannot both keep it: the migration
then stops, changes nothing, and names them, so an admin decides which account keeps the
address (merge the two people, or give one another address) before migrating again.

The rules are copied here, not imported, so this migration keeps doing what it did if
`accounts.identifiers` changes later."""

import re
import unicodedata

from django.db import migrations

BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
SPACES = re.compile(r"\s+")


def normalise_email(value):
    return unicodedata.normalize("NFKC", (value or "").strip()).casefold()


def clean_line(value):
    text = BIDI_CONTROLS.sub("", BREAKS.sub(" ", value or ""))
    return SPACES.sub(" ", text).strip()


def normalise(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    owners: dict[str, list[tuple[int, str]]] = {}
    changed = []
    for user in User.objects.only("id", "email", "full_name", "phone").order_by("id").iterator():
        email = normalise_email(user.email)
        owners.setdefault(email, []).append((user.pk, user.email))
        new = (email, clean_line(user.full_name), clean_line(user.phone))
        if new != (user.email, user.full_name, user.phone):
            user.email, user.full_name, user.phone = new
            changed.append(user)
    collisions = {email: rows for email, rows in owners.items() if len(rows) > 1}
    if collisions:
        lines = [
            f"  {email}: "
            + ", ".join(f"user #{pk} ({stored!r})" for pk, stored in rows)
            for email, rows in sorted(collisions.items())
        ]
        raise RuntimeError(
            "Cannot normalise email addresses: these accounts would share one address.\n"
            + "\n".join(lines)
            + "\nGive one of each group another address, or merge the people, in the "
            "admin; then run migrate again. Nothing was changed."
        )
    User.objects.bulk_update(changed, ["email", "full_name", "phone"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_audit_event")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
