from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="grid_home"),
    path("patrol/", views.patrol, name="grid_patrol"),
    path("sw.js", views.service_worker, name="grid_sw"),
    path("sync/", views.sync, name="grid_sync"),
    path("visits/", views.visit_list, name="grid_visits"),
    path("visits/<str:key>/", views.visit_detail, name="grid_visit"),
    path("visits/<str:key>/photo/", views.visit_photo, name="grid_visit_photo"),
    path("registry/", views.registry, name="grid_registry"),
    path("registry/import/", views.registry_import, name="grid_registry_import"),
    path("registry/template.xlsx", views.registry_template, name="grid_registry_template"),
    path("households/<int:pk>/", views.household_detail, name="grid_household"),
]
