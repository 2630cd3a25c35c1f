"""The schemes shipped as data (loaded by migration 0002; edit them in the admin as new
versions). Each tuple: code, name, kind, weight, indicator, formula, per_event, cap, description."""

from __future__ import annotations

from typing import Any

MANUAL_NOTE = "由考核组指定评分人按月打分并留存评分依据"

SCHEMES: list[dict[str, Any]] = [
    {
        "code": "sheet100",
        "name": "驻村工作队员百分制考核表",
        "unit_kinds": ["worker", "grid", "village"],
        "share_in_department": "7.00",
        "description": (
            "种子文件002:考核评分以百分制计分,思想作风表现20分(宣传报道5分、出勤到位5分、"
            "组织学习和巡查5分、群众评价满意程度5分),工作业绩80分按问题上报率、发现率、处置率、"
            "群众满意率四方面平均分配。上报率取有效上报率(有效上报数/上报数),处置率取结案率"
            "(结案数/应结案数),满意率取回访满意率,发现率按 STANDARDS 的热线倒查规则计算。"
            "出勤、宣传报道、组织学习和巡查目前由评分人按考勤登记和巡查记录人工打分(外勤签到"
            "模块接入前);群众评价按民意测评表满意5、一般满意4、不满意3分按票数比例计分。"
            "工作队考核评分结果占职能部门考核评分的7%。"
        ),
        "items": [
            ("publicity", "宣传报道情况", "manual", 5, "", "direct", 0, 0, MANUAL_NOTE),
            (
                "attendance",
                "出勤到位情况",
                "manual",
                5,
                "",
                "direct",
                0,
                0,
                "按考勤登记人工评分:出满勤(含请假)得5分,未经请假缺勤或督查不在岗被通报者酌情扣分",
            ),
            ("study_patrol", "组织学习、巡查情况", "manual", 5, "", "direct", 0, 0, MANUAL_NOTE),
            (
                "public_rating",
                "群众评价满意程度",
                "survey",
                5,
                "",
                "direct",
                0,
                0,
                "民意测评:满意5分、一般满意4分、不满意3分为基数,按得票数比例计分",
            ),
            (
                "report_rate",
                "问题上报率",
                "rate",
                20,
                "valid_report_rate",
                "direct",
                0,
                0,
                "有效上报数/上报数 × 20",
            ),
            (
                "discovery_rate",
                "问题发现率",
                "rate",
                20,
                "discovery_rate",
                "direct",
                0,
                0,
                "主动发现的热线诉求数/热线诉求数 × 20",
            ),
            (
                "handling_rate",
                "问题处置率",
                "rate",
                20,
                "closure_rate",
                "direct",
                0,
                0,
                "结案数/应结案数 × 20",
            ),
            (
                "satisfaction_rate",
                "群众满意率",
                "rate",
                20,
                "satisfaction_rate",
                "direct",
                0,
                0,
                "(满意+基本满意)/回访数 × 20",
            ),
        ],
    },
    {
        "code": "sheet1000",
        "name": "网格责任人千分制考核",
        "unit_kinds": ["worker", "grid", "village", "town"],
        "share_in_department": None,
        "description": (
            "种子文件003要求将网格责任人纳入千分制考核,但未给出细目。本方案据此自拟:案件办理"
            "指标按 STANDARDS 的评价指标和期间规则计算(结案率100、按期结案率150、按期处置率100、"
            "返工率100、满意率100、有效上报率100、发现率100),扣分项为未按期结案每件扣5分"
            "(上限50)、未主动发现的热线诉求每件扣5分(上限50,种子文件001),外勤项目巡查50、"
            "走访50、出勤50在外勤模块接入前由指定评分人按巡查轨迹、走访记录和考勤登记人工打分。"
        ),
        "items": [
            (
                "closure_rate",
                "结案率",
                "rate",
                100,
                "closure_rate",
                "direct",
                0,
                0,
                "结案数/应结案数",
            ),
            (
                "on_time_closure_rate",
                "按期结案率",
                "rate",
                150,
                "on_time_closure_rate",
                "direct",
                0,
                0,
                "按期结案数/应结案数",
            ),
            (
                "on_time_handling_rate",
                "按期处置率",
                "rate",
                100,
                "on_time_handling_rate",
                "direct",
                0,
                0,
                "按期处置数/应处置数",
            ),
            ("rework", "返工控制", "rate", 100, "rework_rate", "inverse", 0, 0, "(1−返工率)"),
            (
                "satisfaction_rate",
                "群众满意率",
                "rate",
                100,
                "satisfaction_rate",
                "direct",
                0,
                0,
                "(满意+基本满意)/回访数",
            ),
            (
                "valid_report_rate",
                "有效上报率",
                "rate",
                100,
                "valid_report_rate",
                "direct",
                0,
                0,
                "有效上报数/上报数",
            ),
            (
                "discovery_rate",
                "发现率",
                "rate",
                100,
                "discovery_rate",
                "direct",
                0,
                0,
                "主动发现的热线诉求数/热线诉求数",
            ),
            (
                "overdue",
                "未按期结案扣分",
                "deduction",
                50,
                "not_closed_on_time",
                "direct",
                5,
                50,
                "应结案而未按期结案的每件扣5分,扣完为止",
            ),
            (
                "not_discovered",
                "热线诉求未主动发现扣分",
                "deduction",
                50,
                "not_discovered",
                "direct",
                5,
                50,
                "种子文件001:热线诉求未主动发现纳入考核;每件扣5分,扣完为止",
            ),
            (
                "patrol",
                "巡查",
                "manual",
                50,
                "",
                "direct",
                0,
                0,
                "按巡查频次要求(STANDARDS 外勤规则)由评分人打分",
            ),
            (
                "visits",
                "入户走访",
                "manual",
                50,
                "",
                "direct",
                0,
                0,
                "重点户每月、一般户每季走访(种子文件003),由评分人按走访记录打分",
            ),
            ("attendance", "出勤", "manual", 50, "", "direct", 0, 0, "由评分人按考勤登记打分"),
        ],
    },
    {
        "code": "gbt30428",
        "name": "数字化城市管理评价指标(GB/T 30428)",
        "unit_kinds": ["grid", "village", "town", "department"],
        "share_in_department": None,
        "description": (
            "GB/T 30428 的区域和部门评价指标,按 STANDARDS 的期间规则计算:结案率、按期结案率、"
            "按期处置率、返工率(按 1−返工率 计分)、满意率、有效上报率。"
        ),
        "items": [
            (
                "closure_rate",
                "结案率",
                "rate",
                20,
                "closure_rate",
                "direct",
                0,
                0,
                "结案数/应结案数",
            ),
            (
                "on_time_closure_rate",
                "按期结案率",
                "rate",
                20,
                "on_time_closure_rate",
                "direct",
                0,
                0,
                "按期结案数/应结案数",
            ),
            (
                "on_time_handling_rate",
                "按期处置率",
                "rate",
                20,
                "on_time_handling_rate",
                "direct",
                0,
                0,
                "按期处置数/应处置数",
            ),
            (
                "rework_rate",
                "返工率",
                "rate",
                10,
                "rework_rate",
                "inverse",
                0,
                0,
                "返工数/应结案数,按(1−返工率)计分",
            ),
            (
                "satisfaction_rate",
                "满意率",
                "rate",
                20,
                "satisfaction_rate",
                "direct",
                0,
                0,
                "(满意+基本满意)/回访数",
            ),
            (
                "valid_report_rate",
                "有效上报率",
                "rate",
                10,
                "valid_report_rate",
                "direct",
                0,
                0,
                "有效上报数/上报数",
            ),
        ],
    },
]


def load(scheme_model: Any, item_model: Any) -> None:
    for spec in SCHEMES:
        if scheme_model.objects.filter(code=spec["code"]).exists():
            continue
        scheme = scheme_model.objects.create(
            code=spec["code"],
            version=1,
            name=spec["name"],
            description=spec["description"],
            unit_kinds=spec["unit_kinds"],
            share_in_department=spec["share_in_department"],
            is_current=True,
        )
        for order, row in enumerate(spec["items"]):
            code, name, kind, weight, indicator, formula, per_event, cap, desc = row
            item_model.objects.create(
                scheme=scheme,
                order=order,
                code=code,
                name=name,
                kind=kind,
                weight=weight,
                indicator=indicator,
                formula=formula,
                per_event=per_event,
                cap=cap,
                description=desc,
            )


# -- revisions (issue 12, h12): items computed from field work, back-tracing and the two-way
# assessment instead of manual scores, and the departments' scheme carrying seed 002's 7 %. ----

FIELD_NOTE = (
    "出勤按外勤签到计算:当月工作日(国家法定工作日历)扣除请假日为应出勤天数,有签到的为出勤"
    "天数;巡查按外勤模块的巡查标准计算达标周期数/应巡查周期数(整段请假的周期不计);民情"
    "日志按应出勤天数中记有日志的天数计算。进行中的月份只计到昨天。"
)

REVISIONS: list[dict[str, Any]] = [
    {
        "code": "sheet100",
        "version": 2,
        "name": "驻村工作队员百分制考核表",
        "unit_kinds": ["worker", "grid", "village"],
        "share_in_department": "7.00",
        "description": (
            "种子文件002:考核评分以百分制计分,思想作风表现20分(宣传报道5分、出勤到位5分、"
            "组织学习和巡查5分、群众评价满意程度5分),工作业绩80分按问题上报率、发现率、处置率、"
            "群众满意率四方面平均分配。上报率取有效上报率,处置率取结案率,满意率取回访满意率,"
            "发现率按 STANDARDS 的热线倒查规则计算。第2版起出勤到位按外勤签到的出勤率计分,"
            "组织学习和巡查按巡查标准达标率计分(组织学习见培训记录),宣传报道仍由评分人打分;"
            "群众评价取民意测评表,没有测评表时取居民扫码评价(满意5、一般满意4、不满意3分按票数"
            "比例计分)。工作队考核评分结果占职能部门考核评分的7%(见职能部门考核方案 dept100)。"
            + FIELD_NOTE
        ),
        "items": [
            ("publicity", "宣传报道情况", "manual", 5, "", "direct", 0, 0, MANUAL_NOTE),
            (
                "attendance",
                "出勤到位情况",
                "rate",
                5,
                "attendance_rate",
                "direct",
                0,
                0,
                "出勤天数/应出勤天数 × 5(外勤签到)",
            ),
            (
                "study_patrol",
                "组织学习、巡查情况",
                "rate",
                5,
                "patrol_rate",
                "direct",
                0,
                0,
                "巡查达标周期数/应巡查周期数 × 5(外勤巡查标准)",
            ),
            (
                "public_rating",
                "群众评价满意程度",
                "survey",
                5,
                "",
                "direct",
                0,
                0,
                "民意测评或居民扫码评价:满意5分、一般满意4分、不满意3分为基数,按得票数比例计分",
            ),
            *SCHEMES[0]["items"][4:],
        ],
    },
    {
        "code": "sheet1000",
        "version": 2,
        "name": "网格责任人千分制考核",
        "unit_kinds": ["worker", "grid", "village", "town"],
        "share_in_department": None,
        "description": (
            "种子文件003要求将网格责任人纳入千分制考核,但未给出细目。本方案据此自拟:案件办理"
            "指标按 STANDARDS 的评价指标和期间规则计算(结案率100、按期结案率100、按期处置率100、"
            "返工率100、满意率100、有效上报率100、发现率100),扣分项为未按期结案每件扣5分"
            "(上限50)、热线倒查认定未主动发现的工单每件扣5分(上限50,种子文件001,取热线倒查"
            "结果),外勤项目巡查30(巡查标准达标率)、民情日志20(记录率)、出勤50(出勤率)按外勤"
            "模块计算,入户走访50由评分人按走访记录打分,派遣质量50取双向考核中职能部门对平台派遣"
            "的评分(种子文件003;用于乡镇,其他对象没有评分时得满分)。" + FIELD_NOTE
        ),
        "items": [
            *SCHEMES[1]["items"][:1],
            (
                "on_time_closure_rate",
                "按期结案率",
                "rate",
                100,
                "on_time_closure_rate",
                "direct",
                0,
                0,
                "按期结案数/应结案数",
            ),
            *SCHEMES[1]["items"][2:8],
            (
                "not_discovered",
                "热线倒查未主动发现扣分",
                "deduction",
                50,
                "backtrace_missed",
                "direct",
                5,
                50,
                "种子文件001:热线诉求未主动发现纳入考核;按热线倒查结果,每件扣5分,扣完为止",
            ),
            (
                "patrol",
                "巡查",
                "rate",
                30,
                "patrol_rate",
                "direct",
                0,
                0,
                "巡查达标周期数/应巡查周期数",
            ),
            (
                "diaries",
                "民情日志",
                "rate",
                20,
                "diary_rate",
                "direct",
                0,
                0,
                "记日志天数/应出勤天数",
            ),
            *SCHEMES[1]["items"][10:11],
            (
                "attendance",
                "出勤",
                "rate",
                50,
                "attendance_rate",
                "direct",
                0,
                0,
                "出勤天数/应出勤天数(外勤签到)",
            ),
            (
                "dispatch_quality",
                "派遣质量(双向考核)",
                "rate",
                50,
                "two_way_rating",
                "direct",
                0,
                0,
                "职能部门对平台派遣质量的月度评分之和/(100×评分数)",
            ),
        ],
    },
    {
        "code": "dept100",
        "version": 1,
        "name": "职能部门考核",
        "unit_kinds": ["department"],
        "share_in_department": None,
        "description": (
            "职能部门百分制考核:GB/T 30428 的部门指标按 STANDARDS 计算(结案率15、按期结案率20、"
            "按期处置率20、返工率8按(1−返工率)计分、满意率15),双向考核中平台对部门处置质量的"
            "评分15(种子文件003),驻村工作队考核7:种子文件002“工作队考核评分结果占职能部门"
            "考核评分的7%”,取本部门人员当月百分制考核(sheet100,已公布的取公布结果)得分之和/"
            "满分之和×7。没有评分或工作队成员时该项得满分。"
        ),
        "items": [
            (
                "closure_rate",
                "结案率",
                "rate",
                15,
                "closure_rate",
                "direct",
                0,
                0,
                "结案数/应结案数",
            ),
            (
                "on_time_closure_rate",
                "按期结案率",
                "rate",
                20,
                "on_time_closure_rate",
                "direct",
                0,
                0,
                "按期结案数/应结案数",
            ),
            (
                "on_time_handling_rate",
                "按期处置率",
                "rate",
                20,
                "on_time_handling_rate",
                "direct",
                0,
                0,
                "按期处置数/应处置数",
            ),
            ("rework", "返工控制", "rate", 8, "rework_rate", "inverse", 0, 0, "(1−返工率)"),
            (
                "satisfaction_rate",
                "满意率",
                "rate",
                15,
                "satisfaction_rate",
                "direct",
                0,
                0,
                "(满意+基本满意)/回访数",
            ),
            (
                "handling_quality",
                "处置质量(双向考核)",
                "rate",
                15,
                "two_way_rating",
                "direct",
                0,
                0,
                "平台对部门处置质量的月度评分之和/(100×评分数)",
            ),
            (
                "team_share",
                "驻村工作队考核(占7%)",
                "rate",
                7,
                "team_share",
                "direct",
                0,
                0,
                "本部门工作队员百分制考核得分之和/满分之和 × 7",
            ),
        ],
    },
]


def load_revisions(scheme_model: Any, item_model: Any) -> None:
    """Create each revised scheme version once; the previous version stays (runs keep theirs)."""
    for spec in REVISIONS:
        if scheme_model.objects.filter(code=spec["code"], version=spec["version"]).exists():
            continue
        scheme_model.objects.filter(code=spec["code"], is_current=True).update(is_current=False)
        scheme = scheme_model.objects.create(
            code=spec["code"],
            version=spec["version"],
            name=spec["name"],
            description=spec["description"],
            unit_kinds=spec["unit_kinds"],
            share_in_department=spec["share_in_department"],
            is_current=True,
        )
        for order, row in enumerate(spec["items"]):
            code, name, kind, weight, indicator, formula, per_event, cap, desc = row
            item_model.objects.create(
                scheme=scheme,
                order=order,
                code=code,
                name=name,
                kind=kind,
                weight=weight,
                indicator=indicator,
                formula=formula,
                per_event=per_event,
                cap=cap,
                description=desc,
            )
