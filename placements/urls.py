from django.urls import path

from ipcop.lib.pending import page_not_built_yet

app_name = "placements"

urlpatterns = [
    path("", page_not_built_yet, name="list"),
    path("<int:pk>/", page_not_built_yet, name="detail"),
]
