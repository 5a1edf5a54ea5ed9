"""The controller: it makes the chain match the declared positions, one owner at a time.

``planner`` is the pure heart (``planner.plan(...)`` decides, ``planner.apply_update(...)``
applies its position updates). Around it, the effects:

* ``reconciler`` — one reconcile of one owner under its lease (design §3);
* ``executor`` — the transaction pipeline for a plan's actions: build, record, sign,
  broadcast (design §5), with ``broadcast`` (what a node's answer does to an operation),
  ``inflight`` (advancing sent operations: inclusion, finality, reorgs, re-sends, the expiry
  proof), ``oplog`` (the operations in the store) and ``ledger`` (the seed's records);
* ``workqueue`` and ``runner`` — one replica's loop: deduplicated owners, a bounded worker
  pool, pollers, wake-ups, metrics;
* ``service`` and ``probes`` — the composition root of ``tron-staking serve`` and its
  health/metrics endpoints; ``chaos`` — the crash points for chaos tests.
"""
