from django.urls import path

from ipcop.lib.pending import page_not_built_yet

app_name = "interviews"

urlpatterns = [
    path("followups/", page_not_built_yet, name="followup_list"),
    path("followups/<int:pk>/", page_not_built_yet, name="followup_detail"),
    path("report/", page_not_built_yet, name="report"),
]
