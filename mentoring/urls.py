from django.urls import path

from . import views

app_name = "mentoring"

urlpatterns = [
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/new/", views.session_log, name="session_log"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/delete/", views.session_delete, name="session_delete"),
    path("sessions/<int:pk>/reflection/", views.session_reflect, name="session_reflect"),
    path("placements/<int:pk>/team/", views.team_edit, name="team_edit"),
    path("team/<int:pk>/remove/", views.team_remove, name="team_remove"),
    path("students/<int:pk>/record/", views.learning_record, name="learning_record"),
    path("my-record/", views.my_learning_record, name="my_learning_record"),
    path("sites/<int:pk>/matrix/", views.site_matrix, name="site_matrix"),
    path("sites/<int:pk>/matrix.csv", views.site_matrix_csv, name="site_matrix_csv"),
    path("recognition/", views.recognition, name="recognition"),
    path("evaluations/", views.evaluation_list, name="evaluation_list"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:pk>/edit/", views.evaluation_edit, name="evaluation_edit"),
    path(
        "evaluations/<int:pk>/acknowledge/",
        views.evaluation_acknowledge,
        name="evaluation_acknowledge",
    ),
    path("placements/<int:pk>/feedback/", views.feedback_give, name="feedback_give"),
    path("sites/<int:pk>/feedback/", views.site_feedback, name="site_feedback"),
]
