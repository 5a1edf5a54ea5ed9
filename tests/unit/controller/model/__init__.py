"""An independent model of java-tron's Stake 2.0 rules, for testing the planner.

``state`` holds the account state and the resource arithmetic (bandwidth decay, net limit,
vote rescaling), ``actuators`` validates and executes each system contract on a state with
the node's messages (reference §2, §3, §9). ``tests.unit.controller.chain_model`` puts them
behind a node: a pending pool, blocks, a solid block, receipts and snapshots.

Nothing here imports the code under test beyond plain data types used to build its inputs.
"""
