"""Real TRON clients (tronpy, TronWeb 6) against the devnet: whole staking lives."""
