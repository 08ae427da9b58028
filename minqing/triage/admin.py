from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import KeywordRule, Suggestion, TriageModel


@admin.register(KeywordRule)
class KeywordRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "keywords", "active"]
    list_filter = ["active"]
    autocomplete_fields = ["category"]


@admin.register(TriageModel)
class TriageModelAdmin(admin.ModelAdmin):
    list_display = ["trained_at", "samples", "cv_macro_f1", "cv_accuracy", "train_seconds", "size_bytes", "active"]
    exclude = ["blob"]
    readonly_fields = ["trained_at", "samples", "labels", "cv_macro_f1", "cv_accuracy", "train_seconds", "size_bytes"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "suggested", "confidence", "method", "final", "accepted", "ticket"]
    list_filter = ["method", "accepted"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
