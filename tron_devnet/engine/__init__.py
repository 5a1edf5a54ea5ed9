"""Parts of the chain engine that are not the chain itself (see ``tron_devnet.chain``)."""
