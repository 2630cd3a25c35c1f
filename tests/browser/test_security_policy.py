"""The pages run under the Content-Security-Policy, and the shared fixture fails a test on any
violation (issue 9, defect 5); the log-in lockout shows its message on the log-in page."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.core.testing.town import PASSWORD

pytestmark = pytest.mark.browser


def test_an_inline_script_is_blocked_and_reported(open_page: Any) -> None:
    w = open_page("town_office")
    w.page.goto("/command/")
    w.page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.injected = true'; document.body.appendChild(s); }"""
    )
    w.page.wait_for_timeout(300)
    assert w.page.evaluate("() => window.injected === undefined")
    violations = [e for e in w.errors if "CSP violation" in e]
    assert violations, w.errors
    assert "script-src" in violations[0]
    w.allow("CSP violation")  # allow() never excuses a violation: this test clears its own
    assert w.unexpected()
    w.errors.clear()


def test_lockout_message_on_the_log_in_page(open_page: Any, shot: Any, settings: Any) -> None:
    w = open_page()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        w.page.goto("/login/")
        w.page.get_by_label("用户名").fill("leader")
        w.page.get_by_label("密码").fill("not-the-password")
        w.page.get_by_role("button", name="登录").click()
    w.page.goto("/login/")
    w.page.get_by_label("用户名").fill("leader")
    w.page.get_by_label("密码").fill(PASSWORD)
    w.page.get_by_role("button", name="登录").click()
    assert "登录失败次数过多" in w.page.locator("[role=alert]").inner_text()
    assert w.page.url.endswith("/login/")
    shot(w.page, "login-locked-out")
    # The 429 of the refused log-ins is the browser's console error for this page, not a fault.
    w.allow("429")
