"""The accounts pages, at /accounts/ beside django.contrib.auth's (included after this
file), and named like them, without a namespace."""

from django.urls import path

from accounts import views

urlpatterns = [
    # Django's page at the same address and name (this one comes first, so it answers),
    # with a form that enqueues the email instead of sending it while the page waits.
    path("password_reset/", views.PasswordResetRequestView.as_view(), name="password_reset"),
    path("invite/<int:pk>/", views.invitation_send, name="invitation_send"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
