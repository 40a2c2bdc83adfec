from django.urls import path

from sites import views

app_name = "sites"

urlpatterns = [
    path("", views.site_list, name="list"),
    path("new/", views.site_create, name="create"),
    path("<int:pk>/", views.site_detail, name="detail"),
    path("<int:pk>/edit/", views.site_edit, name="edit"),
    path("<int:site_pk>/units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("<int:site_pk>/cops/new/", views.cop_create, name="cop_create"),
    path("cops/", views.cop_list, name="cop_list"),
    path("cops/<int:pk>/", views.cop_detail, name="cop_detail"),
    path("cops/<int:pk>/edit/", views.cop_edit, name="cop_edit"),
    path("cops/<int:pk>/members/new/", views.member_add, name="member_add"),
    path("cops/<int:pk>/members/candidates/", views.member_candidates, name="member_candidates"),
    path("members/<int:pk>/end/", views.member_end, name="member_end"),
    path("cops/<int:pk>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("cops/<int:pk>/initiatives/new/", views.initiative_create, name="initiative_create"),
    path("initiatives/<int:pk>/edit/", views.initiative_edit, name="initiative_edit"),
    path("initiatives/<int:pk>/move/", views.initiative_move, name="initiative_move"),
]
