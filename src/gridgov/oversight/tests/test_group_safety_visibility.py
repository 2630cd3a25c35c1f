"""Members of a 条块融合 group see the inspections and hazards in the group's territory through
fieldwork.safety's one scoping path (`visible_to`): the hazard page answers 200 instead of
404, and leaving or closing the group ends it."""

from __future__ import annotations

import pytest

from gridgov.fieldwork.safety import services as safety
from gridgov.fieldwork.safety.models import Hazard, Inspection
from gridgov.fieldwork.safety.services import ItemAnswer
from gridgov.oversight.coordination import create_group
from gridgov.people.models import Staff
from gridgov.registry.models import Organisation

pytestmark = pytest.mark.django_db


def test_members_see_the_groups_hazards_and_inspections(town, client):
    worker_a1 = town.user("worker_a1")
    hazard = safety.report_hazard(
        by=worker_a1, grid=town.a1, description="消防通道堵塞", source="patrol"
    )
    shop = Organisation.objects.create(
        grid=town.a1, kind="business", name="王村饭店", industry="餐饮业", risk_grade="red"
    )
    answers = [ItemAnswer(i.pk, True) for i in safety.checklist_for(shop.industry).items.all()]
    safety.record_inspection(by=worker_a1, organisation=shop, answers=answers)
    inspection = Inspection.objects.get()
    outsider, handler = town.user("worker_b1"), town.user("env_handler")
    # Before any group: neither sees them, and the hazard page is a 404.
    assert not Hazard.objects.visible_to(outsider).filter(pk=hazard.pk).exists()
    assert not Inspection.objects.visible_to(outsider).filter(pk=inspection.pk).exists()
    assert not Hazard.objects.visible_to(handler).filter(pk=hazard.pk).exists()
    client.force_login(outsider)
    assert client.get(f"/fieldwork/hazards/{hazard.pk}/").status_code == 404
    # A group elsewhere (village B) shows nothing of village A.
    create_group(
        name="村B安全组",
        grid=town.village_b,
        supervised_objects="生产经营单位",
        duties="联合检查",
        departments=[town.env],
        members=[],
        by=town.user("town_office"),
    )
    assert not Hazard.objects.visible_to(handler).filter(pk=hazard.pk).exists()
    group = create_group(
        name="安全生产组",
        grid=town.village_a,
        supervised_objects="生产经营单位",
        duties="联合检查",
        departments=[town.env],
        members=[Staff.objects.get(user__username="worker_b1")],
        by=town.user("town_office"),
    )
    # A member (worker_b1) and a member department's handler (env) now see them.
    assert Hazard.objects.visible_to(outsider).filter(pk=hazard.pk).exists()
    assert Inspection.objects.visible_to(outsider).filter(pk=inspection.pk).exists()
    assert Hazard.objects.visible_to(handler).filter(pk=hazard.pk).exists()
    assert client.get(f"/fieldwork/hazards/{hazard.pk}/").status_code == 200
    # Leaving and closing end it.
    group.members.clear()
    assert not Hazard.objects.visible_to(outsider).filter(pk=hazard.pk).exists()
    group.is_active = False
    group.save()
    assert not Hazard.objects.visible_to(handler).filter(pk=hazard.pk).exists()
    assert not Inspection.objects.visible_to(handler).filter(pk=inspection.pk).exists()
    assert client.get(f"/fieldwork/hazards/{hazard.pk}/").status_code == 404
