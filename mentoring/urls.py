from django.urls import path

from ipcop.lib.pending import page_not_built_yet

app_name = "mentoring"

urlpatterns = [
    path("sessions/new/", page_not_built_yet, name="session_log"),
    path("students/<int:pk>/record/", page_not_built_yet, name="learning_record"),
    path("sites/<int:pk>/matrix/", page_not_built_yet, name="site_matrix"),
]
