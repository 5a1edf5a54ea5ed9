"""tron-devnet: a local TRON full-node HTTP simulator following java-tron's Stake 2.0 rules."""

__version__ = "0.1.0"
