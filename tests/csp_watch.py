"""Every browser test fails if any page it opened broke the Content-Security-Policy.

Chromium reports each violation (an inline script or style, an eval, a blocked load) as a
console error naming the policy. Every context the browser opens is watched, whether a
test takes pytest-playwright's ``page`` or calls ``browser.new_context()`` itself; the
fixtures are imported into tests/conftest.py so that every test directory has them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# Violations seen since the current test began: "<page URL>: <Chromium's message>".
VIOLATIONS: list[str] = []


def watch_csp(context) -> None:
    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            page = message.page.url if message.page else "?"
            VIOLATIONS.append(f"{page}: {message.text}")

    context.on("console", on_console)


@pytest.fixture(scope="session")
def browser(browser) -> Iterator:
    """pytest-playwright's browser, whose every new context is watched."""
    new_context = browser.new_context

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        watch_csp(context)
        return context

    browser.new_context = watched_context
    yield browser


@pytest.fixture(autouse=True)
def no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Set up before and torn down after the test's pages (so after their last events)."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    VIOLATIONS.clear()
    yield
    found, VIOLATIONS[:] = list(VIOLATIONS), []
    assert found == [], "Content-Security-Policy violations:\n" + "\n".join(found)
