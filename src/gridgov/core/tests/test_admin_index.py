"""The admin index names every app in the page's language, ours and our dependencies' alike."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

APPS = {
    "zh-hans": ["工作日历与通知", "区划与网格", "人员与岗位", "案件办理", "审计日志", "后台任务"],
    "en": [
        "Work calendar and notifications",
        "Regions and grids",
        "People and posts",
        "Cases",
        "Audit log",
        "Background tasks",
    ],
}
ENGLISH_ONLY = ["Tasks Database Backend", ">Core<", ">Grids<", ">People<"]


@pytest.mark.parametrize("language", sorted(APPS))
def test_admin_index_names_the_apps_in_the_page_language(client_for, town, language) -> None:
    body = client_for("admin").get("/admin/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for name in APPS[language]:
        assert name in body, name
    for name in ENGLISH_ONLY + (["Audit log"] if language == "zh-hans" else []):
        assert name not in body, name
