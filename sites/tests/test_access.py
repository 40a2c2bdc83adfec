"""The access matrix of the sites app: every URL it routes, for every persona. A new URL
without a row here fails `test_every_sites_url_is_in_the_matrix`."""

import pytest
from django.urls import get_resolver, reverse

from sites.tests.factories import InitiativeFactory, MeetingFactory, MembershipFactory, UnitFactory

pytestmark = pytest.mark.django_db

PERSONAS = ("admin", "facilitator", "preceptor", "student", "outsider")

# url name -> (method, expected status for each of PERSONAS, in that order). The preceptor is a member of the CoP at
# site A (reads it, changes nothing); the outsider facilitates site B only.
OK, FOUND, FORBIDDEN, MISSING = 200, 302, 403, 404
# Columns: admin, facilitator, preceptor, student, outsider.
MATRIX = {
    "list": ("get", (OK, OK, FORBIDDEN, FORBIDDEN, OK)),
    "create": ("get", (OK, OK, FORBIDDEN, FORBIDDEN, OK)),
    "detail": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "edit": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "unit_create": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "unit_edit": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "cop_create": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "cop_list": ("get", (OK, OK, OK, OK, OK)),
    "cop_detail": ("get", (OK, OK, OK, MISSING, MISSING)),
    "cop_edit": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "member_add": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "member_candidates": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "member_end": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "meeting_create": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "meeting_detail": ("get", (OK, OK, OK, MISSING, MISSING)),
    "initiative_create": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "initiative_edit": ("get", (OK, OK, FORBIDDEN, MISSING, MISSING)),
    "initiative_move": ("post", (FOUND, FOUND, FORBIDDEN, MISSING, MISSING)),
}  # fmt: skip


def test_every_sites_url_is_in_the_matrix():
    routed = {name for name in get_resolver("sites.urls").reverse_dict if isinstance(name, str)}
    assert routed == set(MATRIX)


@pytest.fixture
def objects(site_a, cop, preceptor):
    member = MembershipFactory(community=cop)
    return {
        "site": site_a.pk,
        "cop": cop.pk,
        "unit": UnitFactory(site=site_a).pk,
        "membership": member.pk,
        "meeting": MeetingFactory(community=cop, attendees=[member]).pk,
        "initiative": InitiativeFactory(community=cop).pk,
    }


def _url(name, o):
    args = {
        "detail": o["site"], "edit": o["site"], "unit_create": o["site"], "cop_create": o["site"],
        "unit_edit": o["unit"], "cop_detail": o["cop"], "cop_edit": o["cop"],
        "member_add": o["cop"], "member_candidates": o["cop"], "meeting_create": o["cop"], "initiative_create": o["cop"],
        "member_end": o["membership"], "meeting_detail": o["meeting"],
        "initiative_edit": o["initiative"], "initiative_move": o["initiative"],
    }.get(name)  # fmt: skip
    return reverse(f"sites:{name}", args=[args] if args else [])


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access_matrix(client_for, request, objects, persona, name):
    method, statuses = MATRIX[name]
    expected = dict(zip(PERSONAS, statuses, strict=True))
    client = client_for(request.getfixturevalue(persona))
    data = {"status": "planned"} if method == "post" else None
    response = getattr(client, method)(_url(name, objects), data)
    assert response.status_code == expected[persona]
