from decimal import Decimal

from django.db import migrations

# The rules each meeting kind starts with (models.DEFAULT_RULES, as it stood when this was written).
RULES = {
    "building": ("community", 1, "0", "cast", "resident,unit,grid_worker,party_member,staff", 5),
    "compound": ("community", 2, "0", "cast", "resident,unit,grid_worker,party_member,staff", 5),
    "talk": ("community", 0, "0", "cast", "resident,grid_worker,party_member,staff", 5),
    "community_joint": ("community", 3, "0.50", "cast", "unit,staff,party_member", 5),
    "street_joint": ("street", 3, "0.50", "cast", "unit,staff", 5),
    "residents": ("community", 7, "0.50", "present", "resident,staff", 7),
}


def seed(apps, schema_editor):
    MeetingRule = apps.get_model("meetings", "MeetingRule")
    for kind, (level, notice, quorum, basis, participants, publish) in RULES.items():
        MeetingRule.objects.get_or_create(kind=kind, defaults={
            "level": level, "notice_days": notice, "quorum": Decimal(quorum), "pass_basis": basis,
            "participants": participants, "publish_days": publish})


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
