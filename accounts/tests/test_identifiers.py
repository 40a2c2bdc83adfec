"""One form of an email address for look-up, uniqueness and throttling; confusable
spellings refused when a person is created or imported (item 3 of issue 16)."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from accounts.identifiers import confusable_error, normalise_email
from accounts.models import User
from accounts.tests.factories import UserFactory
from placements.tests.factories import ProgramFactory

DOTLESS = "b\u0131ll@example.org"  # dotless ı
CYRILLIC_LOCAL = "\u0430nn@example.org"  # Cyrillic а
CYRILLIC_DOMAIN = "ann@ex\u0430mple.org"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ann@Example.ORG", "ann@example.org"),
        ("  ann@example.org\t", "ann@example.org"),
        ("\uff41\uff4e\uff4e@example.org", "ann@example.org"),  # full-width letters
        ("STRASSE@example.org", "strasse@example.org"),
        ("Stra\u00dfe@example.org", "strasse@example.org"),  # ß case-folds to ss
        ("\u212aim@example.org", "kim@example.org"),  # the Kelvin sign is a K
    ],
)
def test_normalise_email_gives_one_form(typed, stored):
    assert normalise_email(typed) == stored


def test_the_dotless_i_stays_a_different_letter():
    # Python's casefold keeps ı; PostgreSQL's UPPER made it I. Look-ups compare exactly.
    assert normalise_email(DOTLESS) != "bill@example.org"


@pytest.mark.parametrize(
    "email", [DOTLESS, CYRILLIC_LOCAL, CYRILLIC_DOMAIN, "zo\u00eb@example.org"]
)
def test_addresses_outside_ascii_are_confusable(email):
    assert "plain ASCII" in confusable_error(email)


@pytest.mark.parametrize("email", ["ann@example.org", "ANN@xn--mller-kva.de", "\uff41@example.org"])
def test_ascii_addresses_are_not(email):
    assert confusable_error(email) is None


@pytest.mark.django_db
class TestTheModel:
    def test_save_stores_the_normalised_form(self):
        person = UserFactory(email="Stra\u00dfe@Example.org")
        assert User.objects.get(pk=person.pk).email == "strasse@example.org"

    def test_login_look_up_finds_the_person_by_any_spelling_of_the_same_address(self):
        person = UserFactory(email="ann@example.org")
        for spelling in ("ANN@example.org", " ann@example.org", "\uff41nn@example.org"):
            assert User.objects.get_by_natural_key(spelling) == person
        with pytest.raises(User.DoesNotExist):
            User.objects.get_by_natural_key("\u0430nn@example.org")

    def test_two_spellings_of_one_address_cannot_be_two_accounts(self):
        UserFactory(email="strasse@example.org")
        with pytest.raises(IntegrityError):
            UserFactory(email="Stra\u00dfe@example.org")

    @pytest.mark.parametrize("email", [DOTLESS, CYRILLIC_LOCAL, CYRILLIC_DOMAIN])
    def test_full_clean_refuses_a_confusable_address(self, email):
        person = User(email=email, full_name="Someone")
        with pytest.raises(ValidationError) as error:
            person.full_clean(exclude=["password"])
        assert "email" in error.value.message_dict

    def test_full_clean_reports_the_normalised_duplicate(self):
        UserFactory(email="strasse@example.org")
        person = User(email="STRA\u00dfE@example.org", full_name="Someone")
        with pytest.raises(ValidationError) as error:
            person.full_clean(exclude=["password"])
        assert "already exists" in str(error.value.message_dict["email"])

    @pytest.mark.parametrize("email", [DOTLESS, CYRILLIC_DOMAIN])
    def test_an_import_refuses_a_confusable_address(self, email):
        # The import creates people through this service (placements.importers).
        from placements.services import student_enrol

        with pytest.raises(ValidationError):
            student_enrol(email=email, full_name="Bill", program=ProgramFactory())
        assert not User.objects.filter(full_name="Bill").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("email", [DOTLESS, CYRILLIC_LOCAL, CYRILLIC_DOMAIN])
def test_the_admin_refuses_a_confusable_address(client, email):
    UserFactory(email="bill@example.org")
    client.force_login(UserFactory(superuser=True))
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"email": email, "full_name": "Bill Two", "usable_password": "false"},
    )
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert not User.objects.filter(full_name="Bill Two").exists()


@pytest.mark.django_db
def test_the_admin_stores_a_full_width_address_in_its_plain_form(client):
    client.force_login(UserFactory(superuser=True))
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"email": "\uff41nn@Example.org", "full_name": "Ann", "usable_password": "false"},
    )
    assert response.status_code == 302
    assert User.objects.get(full_name="Ann").email == "ann@example.org"


# --- The data migration ------------------------------------------------------------------

migration = importlib.import_module("accounts.migrations.0004_normalise_identifiers")


@pytest.mark.django_db
def test_the_migration_normalises_stored_emails_and_names():
    person = UserFactory()
    User.objects.filter(pk=person.pk).update(
        email="Stra\u00dfe@Example.org", full_name="Ann\r\nBcc: x@example.org", phone="1\n2"
    )
    migration.normalise(django_apps, None)
    person.refresh_from_db()
    assert (person.email, person.full_name, person.phone) == (
        "strasse@example.org",
        "Ann Bcc: x@example.org",
        "1 2",
    )


@pytest.mark.django_db
def test_the_migration_refuses_a_collision_naming_both_accounts_and_changes_nothing():
    first, second = UserFactory(email="strasse@example.org"), UserFactory()
    User.objects.filter(pk=second.pk).update(email="STRA\u00dfE@example.org", full_name="A\nB")
    with pytest.raises(RuntimeError) as error:
        migration.normalise(django_apps, None)
    message = str(error.value)
    assert f"user #{first.pk}" in message and f"user #{second.pk}" in message
    assert "strasse@example.org" in message
    second.refresh_from_db()
    assert (second.email, second.full_name) == ("STRA\u00dfE@example.org", "A\nB")
