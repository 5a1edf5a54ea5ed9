"""``STAKING_CHAOS_CRASH_AT`` is a setting (test only, off by default): listed, validated and
turned into the controller's crash point."""

from __future__ import annotations

import pytest

from tron_staking import settings
from tron_staking.controller.chaos import Chaos, CrashPoint
from tron_staking.errors import ConfigurationError


def test_off_by_default() -> None:
    config = settings.load({})

    assert config.controller.chaos_crash_at is None
    assert Chaos.parse(config.controller.chaos_crash_at).crash_at is None
    assert config.redacted()["controller"]["chaos_crash_at"] is None


def test_a_step_is_read_in_any_case() -> None:
    config = settings.load({"STAKING_CHAOS_CRASH_AT": " After_Sign "})

    assert config.controller.chaos_crash_at == "after_sign"
    assert Chaos.parse(config.controller.chaos_crash_at).crash_at is CrashPoint.AFTER_SIGN


def test_every_crash_point_is_a_valid_setting() -> None:
    for point in CrashPoint:
        config = settings.load({"STAKING_CHAOS_CRASH_AT": point.value})
        assert Chaos.parse(config.controller.chaos_crash_at).crash_at is point


def test_an_unknown_step_is_a_configuration_error_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="invalid STAKING_CHAOS_CRASH_AT") as caught:
        settings.load({"STAKING_CHAOS_CRASH_AT": "after_lunch"})

    assert "after_lunch" in str(caught.value)


def test_the_variable_is_known_to_the_controller_settings() -> None:
    assert settings.variables(settings.ControllerSettings)["chaos_crash_at"] == (
        "STAKING_CHAOS_CRASH_AT",
    )
