from django.urls import path

from placements import views

app_name = "placements"

urlpatterns = [
    path("", views.placement_list, name="list"),
    path("export.csv", views.placement_export, name="export"),
    path("bulk/", views.placement_bulk, name="bulk"),
    path("bulk/apply/", views.placement_bulk_apply, name="bulk_apply"),
    path("new/", views.placement_create, name="create"),
    path("students/", views.student_list, name="students"),
    path("<int:pk>/", views.placement_detail, name="detail"),
    path("<int:pk>/edit/", views.placement_edit, name="edit"),
    path("<int:pk>/status/", views.placement_transition, name="transition"),
    path("<int:pk>/cancel/", views.placement_cancel, name="cancel"),
    path("capacity/", views.capacity_list, name="capacity_list"),
    path("capacity/new/", views.capacity_edit, name="capacity_create"),
    path("capacity/<int:pk>/", views.capacity_edit, name="capacity_edit"),
    path("calendar/", views.calendar_sites, name="calendar_sites"),
    path("calendar/<int:site_id>/", views.site_calendar_view, name="calendar"),
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/", views.agreement_edit, name="agreement_create"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/document/", views.agreement_document, name="agreement_document"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path(
        "import/template/<slug:kind>.<slug:file_format>",
        views.import_template,
        name="import_template",
    ),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/status/", views.import_job_status, name="import_job_status"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/accept/", views.request_accept, name="request_accept"),
    path("requests/<int:pk>/decline/", views.request_decline, name="request_decline"),
    path("requests/<int:pk>/propose/", views.request_propose, name="request_propose"),
    path(
        "requests/<int:pk>/take-proposal/",
        views.request_accept_proposal,
        name="request_accept_proposal",
    ),
    path("requests/<int:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("offers/", views.offer_list, name="offer_list"),
    path("offers/new/", views.offer_create, name="offer_create"),
    path("offers/<int:pk>/close/", views.offer_close, name="offer_close"),
    path("offers/<int:pk>/claim/", views.offer_claim, name="offer_claim"),
]
