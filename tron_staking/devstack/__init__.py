"""``tron-staking dev``: the whole product on a bare machine, in one command.

The CLI calls :func:`stack.run`; :mod:`.children` starts and stops the child processes,
:mod:`.folder` keeps the dev folder and its secrets, :mod:`.banner` writes what the user
pastes, :mod:`.progress` prints the transitions and the idle summaries read through the API.
"""
