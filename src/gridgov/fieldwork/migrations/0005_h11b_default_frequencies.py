"""Default inspection frequencies per risk grade and the default checklists (issue 11: "frequency
per grade, configurable"; checklists are data). The office edits both in the admin."""

from django.db import migrations

# Days between inspections: red monthly, orange every two months, yellow quarterly, blue half-
# yearly; a business on the key-supervision list ("key") monthly whatever its grade.
FREQUENCIES = {"red": 30, "orange": 60, "yellow": 90, "blue": 180, "key": 30}

CHECKLISTS = {
    "": [
        "安全生产责任制和管理制度上墙落实",
        "消防设施器材完好有效,疏散通道畅通",
        "电气线路规范敷设,无私拉乱接",
        "从业人员安全教育培训记录齐全",
        "应急预案和应急演练记录齐全",
    ],
    "餐饮业": [
        "燃气管道、阀门、软管完好,安装燃气报警器",
        "厨房烟道定期清洗",
        "消防设施器材完好有效,疏散通道畅通",
        "电气线路规范敷设,无私拉乱接",
    ],
    "机械加工": [
        "设备防护装置齐全有效",
        "特种设备定期检验,作业人员持证上岗",
        "作业场所通风照明良好,危险区域有警示标志",
        "消防设施器材完好有效,疏散通道畅通",
        "劳动防护用品配备并正确佩戴",
    ],
    "煤炭开采和洗选业": [
        "安全生产许可证在有效期内",
        "通风、瓦斯监测系统运行正常",
        "特种作业人员持证上岗",
        "应急救援物资和演练记录齐全",
    ],
}


def add_defaults(apps, schema_editor):
    Frequency = apps.get_model("fieldwork", "InspectionFrequency")
    Checklist = apps.get_model("fieldwork", "Checklist")
    Item = apps.get_model("fieldwork", "ChecklistItem")
    for grade, days in FREQUENCIES.items():
        Frequency.objects.get_or_create(risk_grade=grade, defaults={"interval_days": days})
    for industry, items in CHECKLISTS.items():
        name = f"{industry or '通用'}安全检查表"
        checklist, created = Checklist.objects.get_or_create(
            name=name, purpose="inspection", industry=industry
        )
        if created:
            Item.objects.bulk_create(
                Item(checklist=checklist, order=n, text=text) for n, text in enumerate(items, 1)
            )


def remove_defaults(apps, schema_editor):
    apps.get_model("fieldwork", "InspectionFrequency").objects.filter(
        risk_grade__in=list(FREQUENCIES)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("fieldwork", "0004_h11b_safety_campaigns")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
