"""The service's Prometheus metrics: one fixed vocabulary, one registry per process.

The composition root (the CLI's ``serve``/``dev`` or a test) builds one :class:`Metrics` over
a fresh ``CollectorRegistry`` and passes it to the API app and the controller loop; nothing
registers on the global default registry. Metric and label names are part of the API contract
(``contract/api.md`` § Metrics): extend, never rename. Labels carry only small closed sets
(kinds, results, states, endpoints) — never an address, a txid or a position id.

Who updates what: the API middleware updates ``requests_total``; the controller's loop wrapper
updates the reconcile, queue, lease, transaction and chain figures; business logic (planner,
state machines) never touches metrics.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

# Buckets for end-to-end durations measured in seconds of wall time (a reconcile, an API call).
_FAST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Convergence spans blocks: from a declaration to Ready takes about a minute on mainnet.
_CONVERGENCE_BUCKETS = (3.0, 6.0, 15.0, 30.0, 60.0, 90.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

RECONCILE_RESULTS = ("success", "requeue", "error", "conflict")

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """Every metric of the contract, registered on ``registry`` (a fresh one by default)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        # The seed's metrics.
        self.requests_total = Counter(
            "staking_requests_total",
            "HTTP requests served, by method, route template and status code.",
            ("method", "route", "status"),
            registry=r,
        )
        self.freezes_total = Counter(
            "staking_freezes_total", "FreezeBalanceV2 transactions included on chain.", registry=r
        )
        self.unfreezes_total = Counter(
            "staking_unfreezes_total",
            "UnfreezeBalanceV2 transactions included on chain.",
            registry=r,
        )
        self.rewards_claimed_total = Counter(
            "staking_rewards_claimed_total",
            "WithdrawBalance (reward claim) transactions included on chain.",
            registry=r,
        )
        self.active_records = Gauge(
            "staking_active_records",
            "Positions that are not withdrawn.",
            registry=r,
        )
        self.total_trx_staked = Gauge(
            "staking_total_trx_staked",
            "TRX frozen by managed positions (frozen, voting, delegated).",
            registry=r,
        )
        self.operation_duration_seconds = Histogram(
            "staking_operation_duration_seconds",
            "Seconds from recording an operation to its inclusion, by kind.",
            ("kind",),
            buckets=_CONVERGENCE_BUCKETS,
            registry=r,
        )
        # The controller's metrics.
        self.reconcile_total = Counter(
            "staking_reconcile_total",
            "Owner reconciles, by result (success, requeue, error, conflict).",
            ("result",),
            registry=r,
        )
        self.reconcile_duration_seconds = Histogram(
            "staking_reconcile_duration_seconds",
            "Wall seconds spent in one owner reconcile.",
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.positions = Gauge("staking_positions", "Positions by state.", ("state",), registry=r)
        self.transactions_total = Counter(
            "staking_transactions_total",
            "Transactions by kind and outcome (recorded, broadcast, included, solidified, "
            "rejected, expired).",
            ("kind", "result"),
            registry=r,
        )
        self.chain_requests_total = Counter(
            "staking_chain_requests_total",
            "Requests to the TRON node, by endpoint and outcome (ok, transient, rejected, error).",
            ("endpoint", "outcome"),
            registry=r,
        )
        self.chain_request_duration_seconds = Histogram(
            "staking_chain_request_duration_seconds",
            "Seconds per request to the TRON node, by endpoint.",
            ("endpoint",),
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.drift_detected_total = Counter(
            "staking_drift_detected_total",
            "Confirmed drift findings (the chain lost managed stake, votes or delegations).",
            registry=r,
        )
        self.position_convergence_seconds = Histogram(
            "staking_position_convergence_seconds",
            "Seconds from a spec generation's declaration to Ready.",
            buckets=_CONVERGENCE_BUCKETS,
            registry=r,
        )
        self.workqueue_depth = Gauge(
            "staking_workqueue_depth", "Owners waiting in the controller's work queue.", registry=r
        )
        self.leases_held = Gauge(
            "staking_leases_held", "Owner leases held by this replica.", registry=r
        )
        self.chain_head_lag_blocks = Gauge(
            "staking_chain_head_lag_blocks",
            "Blocks between the node's head and its solid block as last observed.",
            registry=r,
        )
        for result in RECONCILE_RESULTS:
            self.reconcile_total.labels(result=result)

    def exposition(self) -> bytes:
        """The registry in Prometheus text format (serve with :data:`CONTENT_TYPE`)."""
        return generate_latest(self.registry)
