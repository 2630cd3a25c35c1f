"""The demo town's annual work summary: the office's own text sections for this year, written
the way a town's summary reads (seed 000: 王村镇2015年网格化管理工作总结); the figures section
comes from the platform when the summary is exported."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.reports.summaries import SummaryPeriod, unit_choices
from gridgov.reports.summary_models import SummaryText
from gridgov.reports.summary_services import save_text

SECTIONS = [
    (
        "二、强化队伍建设,为网格化管理提供人员保障",
        "年初根据村(社区)两委换届后的人员名单,调整完善了网格长和专职网格员队伍,"
        "明确各级网格长、下沉人员和协管人员的职责任务,更新了各村网格信息公示牌。\n"
        "对新调整的网格员进行集中培训,使其尽快熟悉平台上报、巡查和走访等业务。",
    ),
    (
        "三、加强工作培训,为网格化管理提供业务保障",
        "围绕安全生产、消防安全、秸秆禁烧和人居环境整治等重点工作开展业务培训,"
        "同时开展医保、养老保险、低保等政策培训,做好政策宣传和为民代办。",
    ),
    (
        "四、强化联合执法和预警,为网格化管理提供措施保障",
        "利用四色预警和联合执法促进条块融合,对群众反映集中的问题及时预警、"
        "组织相关部门联合处置,做到小问题有人管、大问题管得了。",
    ),
    (
        "五、强化工作考核,为网格化管理提供成效保障",
        "按照“定人、定岗、定责、定奖惩”的原则,网格任务量化到人,对网格员实行一人一档,"
        "月底依据平台记录进行公开考核,考核结果与绩效挂钩。",
    ),
    (
        "六、下一步工作打算",
        "进一步提高网格员主动发现问题的能力,对照12345热线开展问题倒查,提升主动发现率;"
        "完善走访和巡查标准,推动网格化管理向规范化方向发展。",
    ),
]


def seed_demo_summary(*, summary: Any, today: Any = None) -> SummaryText | None:
    """Keep the town office's text of this year's annual summary of the demo town (once)."""
    year = (today or timezone.localdate()).year
    period = SummaryPeriod.parse(str(year))
    towns = unit_choices(None, "town")
    # The town demo's root is the town; the district demo summarises its first town.
    unit = next((u for u in towns if u.code == summary.root_code), towns[0] if towns else None)
    if unit is None:
        return None
    if SummaryText.objects.filter(
        unit_kind="town", unit_code=unit.code, period=period.label
    ).exists():
        return None
    office = get_user_model().objects.get(username="town_office")
    return save_text(
        unit=unit,
        period=period,
        title=f"{unit.name}{year}年网格化管理工作总结",
        sections=[{"title": t, "body": b} for t, b in SECTIONS],
        by=office,
    )
