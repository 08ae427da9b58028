"""ExtensionRequest becomes Application: extensions, returns (退单) and suspensions (缓办) are all applied for
and decided the same way. Existing extension requests keep their rows (kind = extension)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_pending_events_channels")]

    operations = [
        migrations.RemoveConstraint(model_name="extensionrequest", name="one_pending_extension"),
        migrations.RenameModel(old_name="ExtensionRequest", new_name="Application"),
        migrations.AlterModelOptions(name="application", options={
            "ordering": ["-requested_at"], "verbose_name": "申请（退单、延期、缓办）",
            "verbose_name_plural": "申请（退单、延期、缓办）"}),
        migrations.AddField(model_name="application", name="kind", field=models.CharField(
            choices=[("return", "退单申请"), ("extension", "延期申请"), ("suspend", "缓办申请")], default="extension",
            max_length=12, verbose_name="类别")),
        migrations.AddField(model_name="application", name="reason_code", field=models.CharField(
            blank=True, choices=[("place", "属地不符"), ("remit", "职责不符"), ("info", "信息不全"), ("other", "其他")],
            max_length=8, verbose_name="退单原因")),
        migrations.AddField(model_name="application", name="until", field=models.DateField(
            blank=True, help_text="缓办申请", null=True, verbose_name="计划恢复办理日期")),
        migrations.AlterField(model_name="application", name="original_due_at", field=models.DateTimeField(
            blank=True, null=True, verbose_name="原办结时限")),
        migrations.AlterField(model_name="application", name="new_due_at", field=models.DateTimeField(
            blank=True, null=True, verbose_name="申请延至")),
        migrations.AlterField(model_name="application", name="ticket", field=models.ForeignKey(
            on_delete=models.PROTECT, related_name="applications", to="tickets.ticket", verbose_name="事项")),
        migrations.AlterField(model_name="application", name="status", field=models.CharField(
            choices=[("pending", "待审批"), ("approved", "已同意"), ("refused", "不同意")], default="pending", max_length=8,
            verbose_name="状态")),
        migrations.AddConstraint(model_name="application", constraint=models.UniqueConstraint(
            condition=models.Q(status="pending"), fields=("ticket",), name="one_pending_application")),
        migrations.AddIndex(model_name="application", index=models.Index(
            fields=["approver_unit", "status"], name="application_queue")),
    ]
