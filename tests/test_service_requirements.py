import pytest

from tests.conftest import skip_or_fail


def test_missing_service_is_a_skip_by_default(monkeypatch):
    monkeypatch.delenv("NEWSROOM_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs Chromium"):
        skip_or_fail("browser", "needs Chromium")


def test_missing_service_is_a_failure_when_required(monkeypatch):
    monkeypatch.setenv("NEWSROOM_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="forbids skipping"):
        skip_or_fail("browser", "needs Chromium")
