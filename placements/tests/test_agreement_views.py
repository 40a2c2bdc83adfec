"""The agreements' pages: who reads which, the document's download behind the access
check, admins' create and edit, the placement page's coverage and override, the
facilitator's to-do line."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent
from accounts.tests.factories import UserFactory
from ipcop.dashboard import facilitator_todo
from placements.models import AffiliationAgreement, AgreementStatus, PlacementStatus
from placements.tests.factories import (
    AffiliationAgreementFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.models import HealthZone
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

D = datetime.date
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def calgary_site(facilitator):
    return SiteFactory(name="Calgary Site", zone=HealthZone.CALGARY, facilitators=[facilitator])


@pytest.fixture
def agreements(calgary_site):
    """One with the facilitator's site, one with its zone, one with a site elsewhere, one
    of another institution with the zone."""
    return {
        "site": AffiliationAgreementFactory(site=calgary_site),
        "zone": AffiliationAgreementFactory(site=None, zone=HealthZone.CALGARY),
        "elsewhere": AffiliationAgreementFactory(site=SiteFactory(zone=HealthZone.NORTH)),
        "other": AffiliationAgreementFactory(
            site=None, zone=HealthZone.CALGARY, institution="Mount Royal University"
        ),
    }


def listed(client):
    response = client.get(reverse("placements:agreement_list"))
    assert response.status_code == 200
    return {agreement.pk for agreement in response.context["page"]}


class TestWhoReadsWhich:
    def test_a_facilitator_reads_those_with_their_sites_and_their_zones(
        self, client, facilitator, agreements
    ):
        client.force_login(facilitator)
        assert listed(client) == {
            agreements["site"].pk,
            agreements["zone"].pk,
            agreements["other"].pk,
        }
        response = client.get(
            reverse("placements:agreement_detail", args=[agreements["elsewhere"].pk])
        )
        assert response.status_code == 404

    def test_a_coordinator_reads_those_of_their_institution(self, client, agreements):
        coordinator = UserFactory(is_coordinator=True)
        ProgramFactory(institution="Mount Royal University").coordinators.add(coordinator)
        client.force_login(coordinator)
        assert listed(client) == {agreements["other"].pk}
        for name in ("site", "zone", "elsewhere"):
            url = reverse("placements:agreement_detail", args=[agreements[name].pk])
            assert client.get(url).status_code == 404

    def test_an_admin_reads_them_all(self, client, admin_user, agreements):
        client.force_login(admin_user)
        assert listed(client) == {a.pk for a in agreements.values()}

    def test_students_and_preceptors_are_refused(self, client, agreements):
        for person in (UserFactory(is_student=True), UserFactory(preceptor=True)):
            client.force_login(person)
            assert client.get(reverse("placements:agreement_list")).status_code == 403
            url = reverse("placements:agreement_detail", args=[agreements["site"].pk])
            assert client.get(url).status_code == 403

    def test_the_expiring_filter_shows_those_in_force_ending_within_60_days(
        self, client, facilitator, calgary_site
    ):
        today = datetime.date.today()
        soon = AffiliationAgreementFactory(
            site=calgary_site, ends_on=today + datetime.timedelta(days=20)
        )
        AffiliationAgreementFactory(site=calgary_site, ends_on=today + datetime.timedelta(days=61))
        AffiliationAgreementFactory(
            site=calgary_site,
            ends_on=today + datetime.timedelta(days=20),
            status=AgreementStatus.DRAFT,
        )
        client.force_login(facilitator)
        response = client.get(reverse("placements:agreement_list"), {"expiring": "1"})
        assert [a.pk for a in response.context["page"]] == [soon.pk]

    @pytest.mark.parametrize("rows", [10, 200])
    def test_the_list_reads_a_fixed_number_of_queries(
        self, client, facilitator, calgary_site, rows, django_assert_max_num_queries
    ):
        AffiliationAgreement.objects.bulk_create(
            AffiliationAgreementFactory.build(
                site=calgary_site, ends_on=D(2030, 1, 1) + datetime.timedelta(days=i)
            )
            for i in range(rows)
        )
        client.force_login(facilitator)
        # session, user, the count, the page with institutions and sites, saving the session.
        with django_assert_max_num_queries(7):
            response = client.get(reverse("placements:agreement_list"))
        assert response.context["page"].paginator.count == rows


class TestDocument:
    def agreement_with_document(self, site):
        agreement = AffiliationAgreementFactory(site=site)
        agreement.document = SimpleUploadedFile("signed.pdf", PDF)
        agreement.save()
        return agreement

    def test_a_reader_downloads_it_as_an_attachment(self, client, facilitator, calgary_site):
        agreement = self.agreement_with_document(calgary_site)
        client.force_login(facilitator)
        response = client.get(reverse("placements:agreement_document", args=[agreement.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            f'attachment; filename="affiliation-agreement-{agreement.pk}.pdf"'
        )
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_someone_else_gets_404_and_no_bytes(self, client, outsider, site_b, calgary_site):
        agreement = self.agreement_with_document(calgary_site)
        client.force_login(outsider)
        response = client.get(reverse("placements:agreement_document", args=[agreement.pk]))
        assert response.status_code == 404
        assert PDF not in response.content

    def test_an_agreement_without_a_document_answers_404(self, client, facilitator, calgary_site):
        agreement = AffiliationAgreementFactory(site=calgary_site)
        client.force_login(facilitator)
        response = client.get(reverse("placements:agreement_document", args=[agreement.pk]))
        assert response.status_code == 404


class TestCreateAndEdit:
    def data(self, **overrides):
        institution = ProgramFactory(institution="Mount Royal University").institution
        data = {
            "institution": institution.pk,
            "site": "",
            "zone": HealthZone.SOUTH,
            "starts_on": "2030-01-01",
            "ends_on": "2032-12-31",
            "status": AgreementStatus.ACTIVE,
            "notes": "Signed by both deans",
        }
        data.update(overrides)
        return data

    def test_an_admin_records_one_with_its_document(self, client, admin_user):
        client.force_login(admin_user)
        data = self.data(document=SimpleUploadedFile("signed.pdf", PDF))
        response = client.post(reverse("placements:agreement_create"), data)
        agreement = AffiliationAgreement.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("placements:agreement_detail", args=[agreement.pk])
        assert (agreement.zone, agreement.ends_on, agreement.created_by) == (
            HealthZone.SOUTH,
            D(2032, 12, 31),
            admin_user,
        )
        assert agreement.document.name.endswith(".pdf")
        page = client.get(response["Location"])
        assert "Download the signed agreement" in page.content.decode()

    def test_a_file_that_is_not_a_pdf_or_image_is_refused_next_to_the_field(
        self, client, admin_user
    ):
        client.force_login(admin_user)
        data = self.data(document=SimpleUploadedFile("signed.pdf", b"<script>x</script>"))
        response = client.post(reverse("placements:agreement_create"), data)
        assert response.status_code == 200
        assert "judged by its content" in response.context["form"].errors["document"][0]
        assert not AffiliationAgreement.objects.exists()

    def test_a_file_over_the_limit_is_refused_next_to_the_field(self, client, admin_user, settings):
        settings.PRIVATE_UPLOAD_MAX_BYTES = 1024
        client.force_login(admin_user)
        data = self.data(document=SimpleUploadedFile("signed.pdf", PDF + b"0" * 2048))
        response = client.post(reverse("placements:agreement_create"), data)
        assert response.status_code == 200
        assert "files may be at most 1 KB" in response.context["form"].errors["document"][0]
        assert not AffiliationAgreement.objects.exists()

    def test_a_hostile_file_name_never_reaches_the_disk(self, client, admin_user, settings):
        client.force_login(admin_user)
        data = self.data(document=SimpleUploadedFile("../../../../tmp/evil.pdf.html", PDF))
        client.post(reverse("placements:agreement_create"), data)
        stored = AffiliationAgreement.objects.get().document.name
        assert stored.startswith("agreements/") and stored.endswith(".pdf")
        assert "evil" not in stored and ".." not in stored
        assert [p.parent.name for p in settings.PRIVATE_MEDIA_ROOT.rglob("*.pdf")] == ["agreements"]

    def test_both_a_site_and_a_zone_are_refused(self, client, admin_user, calgary_site):
        client.force_login(admin_user)
        response = client.post(
            reverse("placements:agreement_create"), self.data(site=calgary_site.pk)
        )
        assert response.context["form"].errors["zone"] == [
            "Choose a site or a health zone, not both."
        ]
        assert not AffiliationAgreement.objects.exists()

    def test_an_admin_edits_one(self, client, admin_user, calgary_site):
        agreement = AffiliationAgreementFactory(site=calgary_site)
        client.force_login(admin_user)
        url = reverse("placements:agreement_edit", args=[agreement.pk])
        assert client.get(url).status_code == 200
        data = self.data(
            institution=agreement.institution_id,
            site=calgary_site.pk,
            zone="",
            status=AgreementStatus.TERMINATED,
        )
        assert client.post(url, data).status_code == 302
        agreement.refresh_from_db()
        assert agreement.status == AgreementStatus.TERMINATED

    def test_a_facilitator_reads_but_may_not_change(self, client, facilitator, calgary_site):
        agreement = AffiliationAgreementFactory(site=calgary_site)
        client.force_login(facilitator)
        url = reverse("placements:agreement_edit", args=[agreement.pk])
        assert client.get(url).status_code == 403
        assert client.get(reverse("placements:agreement_create")).status_code == 403
        response = client.post(url, self.data(status=AgreementStatus.TERMINATED))
        assert response.status_code == 403
        agreement.refresh_from_db()
        assert agreement.status == AgreementStatus.ACTIVE


class TestPlacementPage:
    @pytest.fixture
    def uncovered(self, calgary_site):
        return PlacementFactory(
            student=StudentFactory(), site=calgary_site, start_date=D(2030, 3, 2)
        )

    def test_the_page_says_whether_an_agreement_covers_the_placement(
        self, client, facilitator, uncovered, site_a
    ):
        client.force_login(facilitator)
        page = client.get(reverse("placements:detail", args=[uncovered.pk])).content.decode()
        assert "No agreement in force" in page
        assert "override" not in page.lower()
        covered = PlacementFactory(site=site_a)
        page = client.get(reverse("placements:detail", args=[covered.pk])).content.decode()
        assert "An agreement in force between University of Alberta and the site" in page

    def test_a_facilitators_confirmation_is_refused_with_the_reason(
        self, client, facilitator, uncovered
    ):
        client.force_login(facilitator)
        url = reverse("placements:transition", args=[uncovered.pk])
        response = client.post(url, {"to_status": "confirmed"}, follow=True)
        assert "No affiliation agreement between" in response.content.decode()
        uncovered.refresh_from_db()
        assert uncovered.status == PlacementStatus.REQUESTED

    def test_an_admin_overrides_on_the_page_with_a_reason(self, client, admin_user, uncovered):
        client.force_login(admin_user)
        page = client.get(reverse("placements:detail", args=[uncovered.pk])).content.decode()
        assert "Override the agreement check" in page
        url = reverse("placements:transition", args=[uncovered.pk])
        response = client.post(
            url, {"to_status": "confirmed", "override_agreement": "1"}, follow=True
        )
        assert "Give the reason for overriding" in response.content.decode()
        uncovered.refresh_from_db()
        assert uncovered.status == PlacementStatus.REQUESTED
        client.post(
            url,
            {
                "to_status": "confirmed",
                "override_agreement": "1",
                "override_reason": "Renewal signed last week",
            },
        )
        uncovered.refresh_from_db()
        assert uncovered.status == PlacementStatus.CONFIRMED
        assert AuditEvent.objects.filter(
            action=AuditAction.OVERRIDE, object_id=str(uncovered.pk)
        ).exists()


def test_the_facilitators_todo_counts_agreements_expiring_within_60_days(facilitator, calgary_site):
    today = datetime.date.today()
    AffiliationAgreementFactory(site=calgary_site, ends_on=today + datetime.timedelta(days=20))
    AffiliationAgreementFactory(site=calgary_site, ends_on=today + datetime.timedelta(days=90))
    lines = {line.text: line for line in facilitator_todo(facilitator)["lines"]}
    line = lines["affiliation agreement expiring within 60 days"]
    assert line.count == 1
    assert line.url == reverse("placements:agreement_list") + "?expiring=1"
