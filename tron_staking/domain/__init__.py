"""The pure core's data and rules: addresses, amounts (sun), ids, enums, the position spec and
status, operations, account snapshots, vote arithmetic, bandwidth costs and idempotency classes.

Nothing here performs I/O, reads a clock or imports a driver; everything is immutable and
deterministic. Import the modules whole and use them qualified (``amounts.parse_trx``).
"""
