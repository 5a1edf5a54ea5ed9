"""The chain engine: ``chain.Chain`` (pending pool, block production, reorgs, reads at a
height) over ``ledger`` (blocks and states), ``pipeline`` (broadcast checks), ``permissions``
(signatures), ``production`` (block effects), ``blocks`` (headers and ids), ``views`` (JSON
shapes) and ``snapshot`` (state-file images)."""
