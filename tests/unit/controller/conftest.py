"""Hypothesis profiles of the planner's property tests.

``planner`` (the default here): derandomised, with enough examples to reach every safety
guard of the planner, for ``make test``. ``planner-deep``: randomised with 20× the examples,
for ``make test-deep`` (``pytest --hypothesis-profile=planner-deep tests/unit/controller``).
Profiles are only registered here, never loaded, so other tests keep their own settings; the
planner's property tests pick ``planner`` unless ``planner-deep`` was loaded (``PROFILE``).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

EXAMPLES = 40

settings.register_profile(
    "planner",
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "planner-deep",
    max_examples=20 * EXAMPLES,
    derandomize=False,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def planner_profile() -> settings:
    """The profile the planner's property tests run with."""
    deep = settings.get_current_profile_name() == "planner-deep"
    return settings.get_profile("planner-deep" if deep else "planner")
