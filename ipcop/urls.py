from django.contrib import admin
from django.urls import include, path

from ipcop import views

admin.site.site_header = "IPCoP administration"
admin.site.site_title = "IPCoP admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("sites/", include("sites.urls")),
    path("placements/", include("placements.urls")),
    path("mentoring/", include("mentoring.urls")),
    path("interviews/", include("interviews.urls")),
    path("admin/", admin.site.urls),
]
