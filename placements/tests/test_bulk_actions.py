"""Bulk actions on the placements list (confirm, cancel, export the ticked rows), the
cancellation of one placement with its reason, notes on status changes in the history,
and the capacity list's over-held filter."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from placements.models import Placement, PlacementStatus, PlacementStatusChange
from placements.tests.factories import CapacityFactory, PlacementFactory, StudentFactory
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

D = datetime.date
START = D(2030, 3, 4)
BULK = reverse("placements:bulk")
APPLY = reverse("placements:bulk_apply")


def statuses(*placements) -> list[str]:
    return [Placement.objects.get(pk=p.pk).status for p in placements]


@pytest.fixture
def crowd(site_a, nursing, nursing_program):
    """Site A offers one nursing place in March 2030: two requested placements compete
    for it; a third is already confirmed (a wrong status to confirm), a fourth completed."""
    CapacityFactory(
        site=site_a, profession=nursing, period_start=D(2030, 3, 1), period_end=D(2030, 3, 31),
        places=1,
    )  # fmt: skip

    def placed(name, start, status=PlacementStatus.REQUESTED):
        student = StudentFactory(program=nursing_program, user__full_name=name)
        return PlacementFactory(
            student=student, site=site_a, start_date=start,
            end_date=start + datetime.timedelta(days=13), status=status,
        )  # fmt: skip

    return {
        "first": placed("Ann First", START),
        "second": placed("Ben Second", START + datetime.timedelta(days=7)),
        "confirmed": placed("Cat Confirmed", D(2030, 6, 2), PlacementStatus.CONFIRMED),
        "completed": placed("Dan Done", D(2029, 6, 2), PlacementStatus.COMPLETED),
    }


def preview(client, action, *placements, **extra):
    return client.get(BULK, {"action": action, "ids": [p.pk for p in placements], **extra})


class TestBulkPreview:
    def test_confirm_preview_lists_each_row_and_the_refusals_changing_nothing(
        self, client, facilitator, crowd
    ):
        client.force_login(facilitator)
        rows = list(crowd.values())
        response = preview(client, "confirm", *rows)
        assert response.status_code == 200
        plan = {row.pk: row.refusal for row in response.context["rows"]}
        assert plan[crowd["first"].pk] == ""
        # The earlier placement takes the last place; the later one is refused, saying why.
        assert plan[crowd["second"].pk].startswith("No place left: Site A offers 1 place")
        assert "cannot become confirmed" in plan[crowd["confirmed"].pk]
        assert "cannot become confirmed" in plan[crowd["completed"].pk]
        html = response.content.decode()
        assert "1 placement will be confirmed; 3 are refused and will not change." in html
        assert "Confirm 1 placement" in html
        assert statuses(*rows) == ["requested", "requested", "confirmed", "completed"]
        assert not PlacementStatusChange.objects.exists()

    def test_confirm_preview_refuses_a_placement_overlapping_another_of_the_student(
        self, client, facilitator, site_a, crowd
    ):
        # Two open placements of one student on the same days (from before the rule).
        first = crowd["first"]
        twin = PlacementFactory(
            student=first.student, site=site_a, start_date=first.start_date,
            end_date=first.end_date,
        )  # fmt: skip
        client.force_login(facilitator)
        plan = {r.pk: r.refusal for r in preview(client, "confirm", twin).context["rows"]}
        assert "the dates overlap" in plan[twin.pk]

    def test_cancel_preview_refuses_closed_placements(self, client, facilitator, crowd):
        client.force_login(facilitator)
        response = preview(client, "cancel", *crowd.values())
        accepted = [row.pk for row in response.context["accepted"]]
        assert sorted(accepted) == sorted(
            p.pk for p in (crowd["first"], crowd["second"], crowd["confirmed"])
        )
        refused = next(r for r in response.context["rows"] if not r.accepted)
        assert refused.pk == crowd["completed"].pk
        assert "lifecycle is over" in refused.refusal
        assert "Reason for cancelling" in response.content.decode()

    def test_an_id_outside_the_scope_is_refused_without_a_word_about_it(
        self, client, facilitator, crowd, placement_b
    ):
        client.force_login(facilitator)
        response = preview(client, "cancel", crowd["first"], placement_b)
        refused = [r for r in response.context["rows"] if not r.accepted]
        assert [(r.pk, r.placement) for r in refused] == [(placement_b.pk, None)]
        html = response.content.decode()
        assert placement_b.student.user.full_name not in html
        assert placement_b.site.name not in html
        # The form carries the accepted rows only.
        assert f'name="ids" value="{placement_b.pk}"' not in html
        assert f'name="ids" value="{crowd["first"].pk}"' in html

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"action": "confirm"}, "Select at least one placement"),
            ({"ids": ["1"]}, "Choose what to do"),
            ({"action": "delete", "ids": ["1"]}, "Choose what to do"),
            ({"action": "export", "ids": ["x", "²"]}, "Select at least one placement"),
        ],
    )
    def test_a_bad_request_gets_a_clear_message(self, client, facilitator, query, message):
        client.force_login(facilitator)
        response = client.get(BULK, query)
        assert response.status_code == 200
        assert message in response.content.decode()

    def test_too_many_ids_are_refused(self, client, facilitator):
        client.force_login(facilitator)
        response = client.get(BULK, {"action": "confirm", "ids": [str(i) for i in range(1, 102)]})
        assert "at most 100 placements" in response.content.decode()

    def test_select_all_on_this_page_takes_the_pages_rows(self, client, facilitator, crowd):
        client.force_login(facilitator)
        ids = [crowd["first"].pk, crowd["second"].pk]
        response = client.get(BULK, {"action": "cancel", "all": "1", "page_ids": ids})
        assert sorted(r.pk for r in response.context["rows"]) == sorted(ids)

    def test_back_link_keeps_only_the_lists_parameters(self, client, facilitator, crowd):
        client.force_login(facilitator)
        back = "sort=-site&status=requested&after=2030-01-01_4&n=2&evil=1"
        response = preview(client, "confirm", crowd["first"], back=back)
        assert response.context["back"] == "status=requested&sort=-site&after=2030-01-01_4&n=2"

    @pytest.mark.parametrize("rows", [10, 100])
    def test_preview_query_count(
        self, client, facilitator, site_a, nursing, nursing_program, rows,
        django_assert_max_num_queries,
    ):  # fmt: skip
        CapacityFactory(
            site=site_a, profession=nursing, period_start=D(2030, 1, 1),
            period_end=D(2030, 12, 31), places=rows // 2,
        )  # fmt: skip
        placements = [
            PlacementFactory(
                site=site_a,
                student=StudentFactory(program=nursing_program),
                start_date=START + datetime.timedelta(days=i),
            )  # fmt: skip
            for i in range(rows)
        ]
        client.force_login(facilitator)
        with django_assert_max_num_queries(14):
            response = preview(client, "confirm", *placements)
        assert len(response.context["accepted"]) == rows // 2

    def test_other_roles_are_refused(self, client, preceptor, student, crowd):
        for person in (preceptor, student.user):
            client.force_login(person)
            assert preview(client, "confirm", crowd["first"]).status_code == 403


class TestBulkApply:
    def test_confirm_changes_only_the_accepted_rows(self, client, facilitator, crowd):
        client.force_login(facilitator)
        response = preview(client, "confirm", *crowd.values(), back="status=requested")
        accepted = [row.pk for row in response.context["accepted"]]
        assert accepted == [crowd["first"].pk]
        response = client.post(
            APPLY,
            {"action": "confirm", "ids": accepted, "note": "Agreed with the unit",
             "back": "status=requested"},
        )  # fmt: skip
        assert response.status_code == 302
        assert response["Location"] == reverse("placements:list") + "?status=requested"
        assert statuses(*crowd.values()) == ["confirmed", "requested", "confirmed", "completed"]
        change = PlacementStatusChange.objects.get()
        assert (change.placement_id, change.to_status, change.note, change.changed_by) == (
            crowd["first"].pk, "confirmed", "Agreed with the unit", facilitator,
        )  # fmt: skip

    def test_cancel_with_a_reason_cancels_each_and_writes_it_in_each_history(
        self, client, facilitator, crowd
    ):
        client.force_login(facilitator)
        chosen = [crowd["first"], crowd["confirmed"]]
        response = client.post(
            APPLY, {"action": "cancel", "ids": [p.pk for p in chosen], "note": "Unit closed"}
        )
        assert response.status_code == 302
        assert statuses(*chosen) == ["cancelled", "cancelled"]
        notes = PlacementStatusChange.objects.values_list("placement", "to_status", "note")
        assert sorted(notes) == sorted((p.pk, "cancelled", "Unit closed") for p in chosen)

    def test_cancel_without_a_reason_says_so_and_changes_nothing(self, client, facilitator, crowd):
        client.force_login(facilitator)
        response = client.post(
            APPLY, {"action": "cancel", "ids": [crowd["first"].pk], "note": "   "}
        )
        assert response.status_code == 200
        assert response.context["form"].errors["note"] == ["Give the reason for cancelling."]
        assert "Give the reason for cancelling." in response.content.decode()
        assert statuses(crowd["first"]) == ["requested"]
        assert not PlacementStatusChange.objects.exists()

    def test_an_out_of_scope_id_is_404_and_nothing_changes(
        self, client, facilitator, crowd, placement_b
    ):
        client.force_login(facilitator)
        response = client.post(
            APPLY,
            {"action": "cancel", "ids": [crowd["first"].pk, placement_b.pk], "note": "x"},
        )
        assert response.status_code == 404
        assert statuses(crowd["first"], placement_b) == ["requested", "requested"]

    def test_a_row_that_changed_since_the_preview_refuses_the_whole_action(
        self, client, facilitator, crowd
    ):
        """Both were accepted when previewed one at a time; together, the second finds
        the place taken, so neither is confirmed and the page says why."""
        client.force_login(facilitator)
        ids = [crowd["first"].pk, crowd["second"].pk]
        response = client.post(APPLY, {"action": "confirm", "ids": ids, "note": ""})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Nothing was changed: No place left" in html
        assert statuses(crowd["first"], crowd["second"]) == ["requested", "requested"]
        assert not PlacementStatusChange.objects.exists()

    def test_other_roles_are_refused(self, client, preceptor, student, crowd):
        for person in (preceptor, student.user):
            client.force_login(person)
            data = {"action": "cancel", "ids": [crowd["first"].pk], "note": "x"}
            assert client.post(APPLY, data).status_code == 403
        assert statuses(crowd["first"]) == ["requested"]


class TestBulkExport:
    def test_exports_the_selected_rows_with_iso_dates(self, client, facilitator, crowd):
        client.force_login(facilitator)
        response = preview(client, "export", crowd["second"], crowd["first"])
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert [row["id"] for row in rows] == [str(crowd["first"].pk), str(crowd["second"].pk)]
        assert rows[0]["start_date"] == "2030-03-04"
        assert rows[0]["student"] == "Ann First"

    def test_an_id_not_visible_is_404(self, client, facilitator, crowd, placement_b):
        client.force_login(facilitator)
        assert preview(client, "export", crowd["first"], placement_b).status_code == 404


class TestCancelOnePlacement:
    def url(self, placement):
        return reverse("placements:cancel", args=[placement.pk])

    def test_the_page_asks_for_a_reason(self, client, facilitator, placement):
        client.force_login(facilitator)
        response = client.get(self.url(placement))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Reason for cancelling" in html and "Sam Student" in html

    def test_query_count(self, client, facilitator, placement, django_assert_max_num_queries):
        client.force_login(facilitator)
        with django_assert_max_num_queries(10):
            assert client.get(self.url(placement)).status_code == 200

    def test_without_a_reason_it_says_so_and_changes_nothing(self, client, facilitator, placement):
        client.force_login(facilitator)
        response = client.post(self.url(placement), {"note": ""})
        assert response.status_code == 200
        assert "Give the reason for cancelling." in response.content.decode()
        placement.refresh_from_db()
        assert placement.status == "requested"
        assert not placement.status_changes.exists()

    def test_with_a_reason_it_cancels_and_the_history_shows_the_reason(
        self, client, facilitator, placement
    ):
        client.force_login(facilitator)
        response = client.post(self.url(placement), {"note": "Student withdrew"})
        assert response.status_code == 302
        placement.refresh_from_db()
        assert placement.status == "cancelled"
        detail = client.get(reverse("placements:detail", args=[placement.pk])).content.decode()
        assert "Student withdrew" in detail

    def test_the_status_buttons_send_a_cancellation_to_its_page(
        self, client, facilitator, placement
    ):
        client.force_login(facilitator)
        response = client.post(
            reverse("placements:transition", args=[placement.pk]), {"to_status": "cancelled"}
        )
        assert response["Location"] == self.url(placement)
        placement.refresh_from_db()
        assert placement.status == "requested"

    def test_a_closed_placement_cannot_be_cancelled(self, client, facilitator, site_a):
        done = PlacementFactory(site=site_a, completed=True)
        client.force_login(facilitator)
        response = client.get(self.url(done), follow=True)
        assert "cannot be cancelled" in response.content.decode()

    def test_others_are_refused(self, client, outsider, student, placement):
        client.force_login(outsider)
        assert client.post(self.url(placement), {"note": "x"}).status_code == 404
        client.force_login(student.user)
        assert client.post(self.url(placement), {"note": "x"}).status_code == 403
        placement.refresh_from_db()
        assert placement.status == "requested"


def test_each_status_change_carries_its_note_into_the_history(client, facilitator, placement):
    client.force_login(facilitator)
    url = reverse("placements:transition", args=[placement.pk])
    client.post(url, {"to_status": "confirmed", "note": "Unit manager agreed"})
    client.post(url, {"to_status": "active"})
    client.post(url, {"to_status": "completed", "note": "All hours done"})
    response = client.get(reverse("placements:detail", args=[placement.pk]))
    history = [(c.to_status, c.note) for c in response.context["placement"].status_changes.all()]
    assert history == [
        ("confirmed", "Unit manager agreed"), ("active", ""), ("completed", "All hours done"),
    ]  # fmt: skip
    html = response.content.decode()
    assert "Unit manager agreed" in html and "All hours done" in html


def test_the_detail_page_offers_a_note_and_a_cancel_link(client, facilitator, placement):
    client.force_login(facilitator)
    html = client.get(reverse("placements:detail", args=[placement.pk])).content.decode()
    assert '<label class="form-label" for="transition-note">Note (optional)</label>' in html
    assert f'href="{reverse("placements:cancel", args=[placement.pk])}"' in html


class TestCapacityOverFilter:
    def test_shows_only_capacity_with_more_holders_than_places(
        self, client, facilitator, site_a, nursing, nursing_program
    ):
        over = CapacityFactory(
            site=site_a, profession=nursing, period_start=D(2030, 1, 1),
            period_end=D(2030, 3, 31), places=2,
        )  # fmt: skip
        full = CapacityFactory(
            site=site_a, profession=nursing, period_start=D(2030, 4, 1),
            period_end=D(2030, 6, 30), places=1,
        )  # fmt: skip
        for start in (D(2030, 2, 1), D(2030, 2, 1), D(2030, 2, 1), D(2030, 5, 1)):
            PlacementFactory(
                site=site_a, student=StudentFactory(program=nursing_program),
                start_date=start, end_date=start + datetime.timedelta(days=10), confirmed=True,
            )  # fmt: skip
        # Another site's over-held capacity is not the facilitator's.
        elsewhere = SiteFactory()
        CapacityFactory(site=elsewhere, profession=nursing, places=0)
        PlacementFactory(
            site=elsewhere, student=StudentFactory(program=nursing_program), confirmed=True
        )
        client.force_login(facilitator)
        url = reverse("placements:capacity_list")
        every = [row["pk"] for row in client.get(url).context["page"]]
        assert sorted(every) == sorted([over.pk, full.pk])
        response = client.get(url, {"over": "1"})
        assert [(r["pk"], r["used"], r["places"]) for r in response.context["page"]] == [
            (over.pk, 3, 2)
        ]
        html = response.content.decode()
        assert 'id="capacity-over" checked' in html
        assert '<label class="form-check-label" for="capacity-over">' in html
        assert client.get(url, {"over": "yes"}).context["over"] is False

    def test_says_when_nothing_is_over_held(self, client, facilitator, site_a):
        CapacityFactory(site=site_a)
        client.force_login(facilitator)
        response = client.get(reverse("placements:capacity_list"), {"over": "1"})
        assert "No capacity is over-held." in response.content.decode()

    @pytest.mark.parametrize("rows", [10, 200])
    def test_query_count(self, client, facilitator, site_a, nursing, nursing_program, rows,
                         django_assert_max_num_queries):  # fmt: skip
        # One placement all year holds a place of each capacity, which offers none.
        PlacementFactory(
            site=site_a, student=StudentFactory(program=nursing_program), confirmed=True,
            start_date=D(2030, 1, 1), end_date=D(2030, 12, 31),
        )  # fmt: skip
        for i in range(rows):
            CapacityFactory(
                site=site_a, profession=nursing, places=0,
                period_start=D(2030, 1, 1) + datetime.timedelta(days=i),
            )  # fmt: skip
        client.force_login(facilitator)
        with django_assert_max_num_queries(10):
            response = client.get(reverse("placements:capacity_list"), {"over": "1"})
        assert len(response.context["page"]) == min(rows, 25)


@pytest.fixture
def placement_b(site_b):
    return PlacementFactory(site=site_b, student=StudentFactory(user__full_name="Olga Other"))
