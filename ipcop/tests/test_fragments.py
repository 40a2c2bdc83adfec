"""The Jinja2 row fragments: URLs built like reverse(), values escaped like Django's."""

import pytest
from django.urls import reverse

from ipcop.lib.fragments import pk_url, render_rows
from sites.tests.factories import SiteFactory


@pytest.mark.parametrize(
    "name", ["sites:detail", "sites:cop_detail", "placements:detail", "sites:meeting_detail"]
)
@pytest.mark.parametrize("pk", [1, 42, 1234567])
def test_pk_url_is_what_reverse_gives(name, pk):
    assert pk_url(name, pk) == reverse(name, args=[pk])


def test_pk_url_refuses_what_is_not_a_pk():
    with pytest.raises(ValueError):
        pk_url("sites:detail", "1/../../admin")


@pytest.mark.django_db
def test_rows_escape_what_people_typed():
    site = SiteFactory(name='<script>alert("x")</script> & Co', city="<b>Red Deer</b>")
    site.community_count = 0
    site.active_placement_count = 2
    html = render_rows("sites/_site_rows.html", {"sites": [site]})
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert f'href="{reverse("sites:detail", args=[site.pk])}"' in html


def test_rows_say_when_there_is_none():
    assert "No site matches." in render_rows("sites/_site_rows.html", {"sites": []})


@pytest.mark.parametrize("path", ["css/ipcop.css", "vendor/bootstrap/css/bootstrap.min.css"])
def test_fixed_static_is_what_static_gives_and_follows_the_settings(path, settings):
    from django.templatetags.static import static

    from ipcop.templatetags.ipcop_urls import fixed_static

    assert fixed_static(path) == static(path)
    settings.STATIC_URL = "/elsewhere/"
    assert fixed_static(path) == static(path) and fixed_static(path).startswith("/elsewhere/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "flags",
    [
        {},
        {"is_facilitator": True},
        {"is_preceptor": True},
        {"is_student": True},
        {"is_staff": True},
        {"is_preceptor": True, "is_student": True},
    ],
    ids=lambda flags: "+".join(flags) or "no-role",
)
@pytest.mark.parametrize("path", ["/", "/placements/", "/sites/"])
def test_the_cached_navigation_is_the_persons_own(client, flags, path):
    """The bar is rendered once per mix of roles and page: it must be what rendering it
    for the person on that page gives, and differ between roles."""
    from django.urls import resolve

    from accounts.tests.factories import UserFactory

    user = UserFactory(**flags)
    client.force_login(user)
    html = client.get(path).content.decode()
    match = resolve(path)
    expected = render_rows(
        "_main_nav.html", {"user": user, "here": (match.app_name, match.url_name)}
    )
    assert str(expected) in html
    assert ('href="/admin/"' in html) == bool(flags.get("is_staff"))
    assert ("My IP learning record" in html) == bool(flags.get("is_student"))
