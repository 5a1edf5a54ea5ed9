"""The controller: it makes the chain match the declared positions, one owner at a time.

``planner`` is the pure heart (``planner.plan(...)`` decides, ``planner.apply_update(...)``
applies its position updates); the reconciler, executor, work queue, leases and runner around
it perform the effects and persist the outcome.
"""
