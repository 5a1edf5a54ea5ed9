"""The state machines of positions and operations, as declarative tables.

``position`` and ``operation`` each hold one table (states an Enum, transitions a list of
dicts) driven by one synchronous ``transitions.Machine`` (``engine``); ``fire(record,
trigger, ...)`` returns the new state and the history entry without touching the record.
``diagrams`` renders the tables as Graphviz DOT. Pure: no I/O, no clock, no driver.
"""
