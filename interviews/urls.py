from django.urls import path

from interviews import views

app_name = "interviews"

urlpatterns = [
    path("followups/", views.followup_list, name="followup_list"),
    path("followups/<int:pk>/", views.followup_detail, name="followup_detail"),
    path("followups/<int:pk>/schedule/", views.followup_schedule, name="followup_schedule"),
    path("followups/<int:pk>/close/", views.followup_close, name="followup_close"),
    path("followups/<int:pk>/consent/", views.record_consent, name="record_consent"),
    path("followups/<int:pk>/record/", views.record_interview, name="record_interview"),
    path("followups/<int:pk>/quotes/add/", views.quote_add, name="quote_add"),
    path(
        "followups/<int:pk>/quotes/<int:quote_pk>/delete/",
        views.quote_delete,
        name="quote_delete",
    ),
    path("themes/", views.theme_list, name="theme_list"),
    path("themes/<int:pk>/rename/", views.theme_rename, name="theme_rename"),
    path("themes/<int:pk>/merge/", views.theme_merge, name="theme_merge"),
    path("calendar/", views.calendar_feed_manage, name="calendar_feed_manage"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("report/", views.report, name="report"),
    path("report.csv", views.report_csv, name="report_csv"),
]
