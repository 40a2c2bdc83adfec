"""Affiliation agreements: what one covers, the gate on confirming a placement (one at a
time, in bulk, by the import), an admin's audited override, and the agreement services."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from accounts.models import AuditAction, AuditEvent
from ipcop.permissions import placements_manageable_by, sites_facilitated_by
from placements import services
from placements.importers import parse_file, run_import
from placements.models import (
    AffiliationAgreement,
    AgreementStatus,
    Placement,
    PlacementStatus,
    agreements_cover,
)
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
PDF = b"%PDF-1.4\n%%EOF\n"
START, END = D(2030, 3, 2), D(2030, 4, 10)


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def bare_site(facilitator):
    """A site of the Calgary zone that no agreement covers."""
    return SiteFactory(name="Bare Site", zone=HealthZone.CALGARY, facilitators=[facilitator])


@pytest.fixture
def request_at(nursing_program):
    def make(site, start=START, end=END, program=None):
        return PlacementFactory(
            student=StudentFactory(program=program or nursing_program),
            site=site,
            start_date=start,
            end_date=end,
        )

    return make


YEAR_2030 = (D(2030, 1, 1), D(2030, 12, 31))


def agreement(site=None, zone="", start=YEAR_2030[0], end=YEAR_2030[1], **kwargs):
    return AffiliationAgreementFactory(site=site, zone=zone, starts_on=start, ends_on=end, **kwargs)


class TestCover:
    def test_one_agreement_over_the_whole_period_covers(self):
        assert agreements_cover([agreement(site=SiteFactory())], START, END)

    def test_an_open_ended_agreement_covers_every_later_day(self):
        assert agreements_cover([agreement(site=SiteFactory(), end=None)], START, D(2199, 1, 1))

    def test_a_renewal_starting_the_day_after_carries_the_placement_across(self):
        site = SiteFactory()
        old = agreement(site=site, start=D(2029, 1, 1), end=D(2030, 3, 20))
        new = agreement(site=site, start=D(2030, 3, 21), end=D(2031, 3, 20))
        assert agreements_cover([new, old], START, END)

    def test_a_gap_of_one_day_does_not_cover(self):
        site = SiteFactory()
        old = agreement(site=site, start=D(2029, 1, 1), end=D(2030, 3, 20))
        new = agreement(site=site, start=D(2030, 3, 22), end=D(2031, 3, 20))
        assert not agreements_cover([old, new], START, END)

    def test_ending_during_the_placement_or_starting_after_its_start_does_not_cover(self):
        site = SiteFactory()
        assert not agreements_cover([agreement(site=site, end=D(2030, 4, 9))], START, END)
        assert not agreements_cover([agreement(site=site, start=D(2030, 3, 3))], START, END)
        assert not agreements_cover([], START, END)


class TestWhatCounts:
    def test_an_agreement_with_the_sites_zone_covers_it(self, bare_site, request_at):
        agreement(zone=HealthZone.CALGARY)
        assert services.placement_has_agreement(request_at(bare_site))

    def test_another_zones_or_another_sites_agreement_does_not(self, bare_site, request_at):
        agreement(zone=HealthZone.EDMONTON)
        agreement(site=SiteFactory(zone=HealthZone.CALGARY))
        assert not services.placement_has_agreement(request_at(bare_site))

    def test_another_institutions_agreement_does_not(self, bare_site, request_at):
        agreement(site=bare_site, institution="Mount Royal University")
        assert not services.placement_has_agreement(request_at(bare_site))

    @pytest.mark.parametrize(
        "status", [AgreementStatus.DRAFT, AgreementStatus.EXPIRED, AgreementStatus.TERMINATED]
    )
    def test_only_an_agreement_in_force_counts(self, bare_site, request_at, status):
        agreement(site=bare_site, status=status)
        assert not services.placement_has_agreement(request_at(bare_site))


class TestConstraints:
    def test_the_database_refuses_both_a_site_and_a_zone(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            agreement(site=SiteFactory(), zone=HealthZone.NORTH)

    def test_the_database_refuses_neither_a_site_nor_a_zone(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            agreement()

    def test_the_database_refuses_an_end_before_the_start(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            agreement(site=SiteFactory(), start=D(2030, 5, 1), end=D(2030, 4, 1))


class TestGate:
    def test_confirming_without_an_agreement_is_refused_with_the_reason(
        self, bare_site, request_at, facilitator
    ):
        placement = request_at(bare_site)
        with pytest.raises(ValidationError) as refused:
            services.placement_confirm(placement=placement, changed_by=facilitator)
        message = refused.value.messages[0]
        assert "No affiliation agreement between University of Alberta and Bare Site" in message
        assert "Calgary zone" in message
        assert "2 Mar 2030 to 10 Apr 2030" in message
        placement.refresh_from_db()
        assert placement.status == PlacementStatus.REQUESTED
        assert not placement.status_changes.exists()

    def test_the_refusal_names_the_agreements_that_cover_part_of_it(
        self, bare_site, request_at, facilitator
    ):
        agreement(site=bare_site, end=D(2030, 3, 31))
        with pytest.raises(ValidationError, match="cover 1 Jan 2030 to 31 Mar 2030"):
            services.placement_confirm(placement=request_at(bare_site), changed_by=facilitator)

    def test_confirming_under_an_agreement_in_force(self, bare_site, request_at, facilitator):
        agreement(site=bare_site)
        placement = services.placement_confirm(
            placement=request_at(bare_site), changed_by=facilitator
        )
        assert placement.status == PlacementStatus.CONFIRMED

    def test_advancing_to_active_goes_through_the_gate(self, bare_site, request_at, facilitator):
        placement = request_at(bare_site)
        with pytest.raises(ValidationError, match="No affiliation agreement"):
            services.placement_advance_to(
                placement=placement, to_status=PlacementStatus.ACTIVE, changed_by=facilitator
            )
        placement.refresh_from_db()
        assert placement.status == PlacementStatus.REQUESTED

    def test_an_admin_overrides_with_a_reason_and_the_override_is_audited(
        self, bare_site, request_at, admin_user
    ):
        placement = request_at(bare_site)
        services.placement_confirm(
            placement=placement,
            changed_by=admin_user,
            override_reason="Agreement signed, copy on its way",
        )
        placement.refresh_from_db()
        assert placement.status == PlacementStatus.CONFIRMED
        change = placement.status_changes.get(to_status=PlacementStatus.CONFIRMED)
        assert change.note == "Agreement check overridden: Agreement signed, copy on its way"
        assert change.changed_by == admin_user
        event = AuditEvent.objects.get(action=AuditAction.OVERRIDE)
        assert (event.person, event.object_type, event.object_id, event.site_id) == (
            admin_user,
            "placements.placement",
            str(placement.pk),
            bare_site.pk,
        )

    def test_no_override_is_audited_when_an_agreement_covers_it(
        self, site_a, request_at, admin_user
    ):
        services.placement_confirm(
            placement=request_at(site_a), changed_by=admin_user, override_reason="just in case"
        )
        assert not AuditEvent.objects.filter(action=AuditAction.OVERRIDE).exists()

    def test_a_facilitator_cannot_override(self, bare_site, request_at, facilitator):
        placement = request_at(bare_site)
        with pytest.raises(ValidationError, match="Only an admin may override"):
            services.placement_confirm(
                placement=placement, changed_by=facilitator, override_reason="trust me"
            )
        placement.refresh_from_db()
        assert placement.status == PlacementStatus.REQUESTED
        assert not AuditEvent.objects.filter(action=AuditAction.OVERRIDE).exists()

    def test_a_blank_reason_is_no_override(self, bare_site, request_at, admin_user):
        with pytest.raises(ValidationError, match="No affiliation agreement"):
            services.placement_confirm(
                placement=request_at(bare_site), changed_by=admin_user, override_reason="   "
            )


class TestBulkAndImport:
    def test_bulk_confirm_refuses_the_placements_no_agreement_covers(
        self, site_a, bare_site, request_at, facilitator
    ):
        covered = request_at(site_a)
        uncovered = request_at(bare_site, start=D(2030, 5, 1), end=D(2030, 5, 20))
        rows = services.placements_bulk_plan(
            placements=placements_manageable_by(facilitator),
            ids=[covered.pk, uncovered.pk],
            action="confirm",
            changed_by=facilitator,
        )
        refusals = {row.pk: row.refusal for row in rows}
        assert refusals[covered.pk] == ""
        assert refusals[uncovered.pk].startswith("No affiliation agreement")
        with pytest.raises(services.BulkRefused) as refused:
            services.placements_bulk_apply(
                placements=placements_manageable_by(facilitator),
                ids=[covered.pk, uncovered.pk],
                action="confirm",
                changed_by=facilitator,
            )
        assert refused.value.pk == uncovered.pk
        assert not Placement.objects.filter(status=PlacementStatus.CONFIRMED).exists()

    def test_the_batch_sees_a_zones_agreement_and_a_renewal(
        self, bare_site, request_at, facilitator
    ):
        agreement(zone=HealthZone.CALGARY, end=D(2030, 3, 31))
        agreement(site=bare_site, start=D(2030, 4, 1), end=None)
        placement = request_at(bare_site)
        rows = services.placements_bulk_plan(
            placements=placements_manageable_by(facilitator),
            ids=[placement.pk],
            action="confirm",
            changed_by=facilitator,
        )
        assert rows[0].refusal == ""

    def test_the_import_refuses_a_confirmed_row_no_agreement_covers(
        self, facilitator, bare_site, site_a, nursing_program
    ):
        for i in range(2):
            StudentFactory(program=nursing_program, user__email=f"s{i}@example.org")
        text = (
            "student_email,site,start_date,end_date,status\n"
            "s0@example.org,Site A,2030-01-06,2030-02-14,confirmed\n"
            "s1@example.org,Bare Site,2030-01-06,2030-02-14,confirmed\n"
        )
        result = run_import(
            "placements",
            parse_file(text.encode(), "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert not result.committed
        errors = {row.line: row.errors for row in result.rows}
        assert errors[2] == []
        assert "No affiliation agreement" in errors[3][0]
        assert not Placement.objects.exists()

    def test_the_import_requests_a_placement_without_an_agreement(
        self, facilitator, bare_site, nursing_program
    ):
        StudentFactory(program=nursing_program, user__email="s0@example.org")
        text = "student_email,site,start_date,end_date\ns0@example.org,Bare Site,2030-01-06,2030-02-14\n"
        result = run_import(
            "placements",
            parse_file(text.encode(), "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert result.committed
        assert Placement.objects.get().status == PlacementStatus.REQUESTED


class TestAgreementServices:
    def test_create_stores_the_document_under_a_generated_name(self, admin_user, settings):
        site = SiteFactory()
        created = services.agreement_create(
            institution=ProgramFactory().institution,
            site=site,
            starts_on=D(2030, 1, 1),
            ends_on=D(2032, 12, 31),
            status=AgreementStatus.ACTIVE,
            document=SimpleUploadedFile("../../etc/agreement.pdf", PDF),
            created_by=admin_user,
        )
        created.refresh_from_db()
        assert created.document.name.startswith("agreements/")
        assert created.document.name.endswith(".pdf")
        assert (settings.PRIVATE_MEDIA_ROOT / created.document.name).read_bytes() == PDF

    def test_a_document_of_the_wrong_kind_is_refused_and_nothing_saved(self):
        with pytest.raises(ValidationError) as refused:
            services.agreement_create(
                institution=ProgramFactory().institution,
                site=SiteFactory(),
                starts_on=D(2030, 1, 1),
                document=SimpleUploadedFile("agreement.pdf", b"<html>not a pdf</html>"),
            )
        assert "document" in refused.value.message_dict
        assert not AffiliationAgreement.objects.exists()

    def test_both_or_neither_party_is_refused_with_a_message(self):
        institution = ProgramFactory().institution
        for site, zone in ((SiteFactory(), HealthZone.NORTH), (None, "")):
            with pytest.raises(ValidationError, match="exactly one of them"):
                services.agreement_create(
                    institution=institution, site=site, zone=zone, starts_on=D(2030, 1, 1)
                )

    def test_a_new_document_replaces_the_old_file(
        self, settings, django_capture_on_commit_callbacks
    ):
        made = services.agreement_create(
            institution=ProgramFactory().institution,
            site=SiteFactory(),
            starts_on=D(2030, 1, 1),
            document=SimpleUploadedFile("a.pdf", PDF),
        )
        old = settings.PRIVATE_MEDIA_ROOT / made.document.name
        with django_capture_on_commit_callbacks(execute=True):
            services.agreement_update(
                agreement=made,
                institution=made.institution,
                site=made.site,
                starts_on=made.starts_on,
                status=AgreementStatus.ACTIVE,
                document=SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 8),
            )
        made.refresh_from_db()
        assert made.document.name.endswith(".png")
        assert not old.exists()
        assert (settings.PRIVATE_MEDIA_ROOT / made.document.name).exists()

    def test_agreements_past_their_end_expire(self):
        ended = agreement(site=SiteFactory(), end=D(2030, 1, 31))
        running = agreement(site=SiteFactory(), end=D(2030, 2, 1))
        open_ended = agreement(site=SiteFactory(), end=None)
        assert services.agreements_expire(today=D(2030, 2, 1)) == 1
        statuses = dict(AffiliationAgreement.objects.values_list("pk", "status"))
        assert statuses == {
            ended.pk: AgreementStatus.EXPIRED,
            running.pk: AgreementStatus.ACTIVE,
            open_ended.pk: AgreementStatus.ACTIVE,
        }


class TestMoving:
    def test_a_confirmed_placement_cannot_move_past_its_agreement(
        self, bare_site, request_at, facilitator
    ):
        agreement(site=bare_site, end=D(2030, 4, 30))
        placement = services.placement_confirm(
            placement=request_at(bare_site), changed_by=facilitator
        )
        fields = {
            "site": bare_site,
            "unit": None,
            "start_date": START,
            "model": placement.model,
            "contact": None,
            "notes": "",
        }
        with pytest.raises(ValidationError, match="Keep it where and when an agreement covers"):
            services.placement_update(placement=placement, end_date=D(2030, 5, 10), **fields)
        services.placement_update(placement=placement, end_date=D(2030, 4, 30), **fields)
        placement.refresh_from_db()
        assert placement.end_date == D(2030, 4, 30)

    def test_a_confirmed_placement_cannot_move_to_a_site_without_one(
        self, site_a, bare_site, request_at, facilitator
    ):
        placement = services.placement_confirm(placement=request_at(site_a), changed_by=facilitator)
        with pytest.raises(ValidationError, match="No affiliation agreement"):
            services.placement_update(
                placement=placement,
                site=bare_site,
                unit=None,
                start_date=START,
                end_date=END,
                model=placement.model,
                contact=None,
                notes="",
            )
        placement.refresh_from_db()
        assert placement.site == site_a

    def test_a_requested_placement_moves_freely(self, bare_site, request_at):
        placement = request_at(bare_site)
        services.placement_update(
            placement=placement,
            site=bare_site,
            unit=None,
            start_date=START,
            end_date=D(2030, 6, 1),
            model=placement.model,
            contact=None,
            notes="",
        )
        placement.refresh_from_db()
        assert placement.end_date == D(2030, 6, 1)
