"""The devnet's HTTP endpoints: java-tron's ``/wallet`` and ``/walletsolidity`` servlets and the
``/devnet`` admin endpoints, as handlers ``(node, call) -> JSON`` routed by ``routes``."""
