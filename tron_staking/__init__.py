"""tron-staking: a declarative staking controller for TRON Stake 2.0."""

__version__ = "0.1.0"
