"""Logs that are written once and never changed: who did what, when and why."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


class AppendOnly(models.Model):
    """A model whose rows are a record: saving an existing row or deleting one is refused.
    `record_name` says what the record is called in the message (e.g. 办理记录)."""

    record_name = "记录"

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError(f"{self.record_name}一经写入不可修改。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(f"{self.record_name}不可删除。")
