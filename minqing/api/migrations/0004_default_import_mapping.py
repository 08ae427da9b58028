from django.db import migrations

# The 12345 platform's standard export, as models.DEFAULT_COLUMNS had it when this was written.
COLUMNS = {
    "external_number": "工单编号", "received_at": "来电时间", "reporter_name": "来电人", "reporter_phone": "联系电话",
    "text": "诉求内容", "type": "诉求类型", "area": "所属区域", "due": "办理时限", "category": "诉求分类",
}


def seed(apps, schema_editor):
    apps.get_model("api", "ImportMapping").objects.get_or_create(name="12345 标准格式", defaults={"columns": COLUMNS})


class Migration(migrations.Migration):
    dependencies = [("api", "0003_importmapping_importjob")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
