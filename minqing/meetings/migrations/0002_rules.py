"""The rules each kind of meeting starts with; admins may change them (系统管理 → 会议规则).

居民会议 follows the 城市居民委员会组织法: it needs more than half of those entitled, and a decision
more than half of those present. Joint meetings need more than half of their member units."""

from decimal import Decimal

from django.db import migrations

RULES = [
    # kind, level, notice days, quorum, pass basis, participants, publish days
    ("building", "community", 1, "0", "cast", "resident,unit,grid_worker,party_member,staff", 5),
    ("compound", "community", 2, "0", "cast", "resident,unit,grid_worker,party_member,staff", 5),
    ("talk", "community", 0, "0", "cast", "resident,grid_worker,party_member,staff", 5),
    ("community_joint", "community", 3, "0.50", "cast", "unit,staff,party_member", 5),
    ("street_joint", "street", 3, "0.50", "cast", "unit,staff", 5),
    ("residents", "community", 7, "0.50", "present", "resident,staff", 7),
]


def seed(apps, schema_editor):
    MeetingRule = apps.get_model("meetings", "MeetingRule")
    for kind, level, notice, quorum, basis, participants, publish in RULES:
        MeetingRule.objects.get_or_create(kind=kind, defaults={
            "level": level, "notice_days": notice, "quorum": Decimal(quorum), "pass_basis": basis,
            "pass_share": Decimal("0.50"), "participants": participants, "publish_days": publish})


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
