"""``python -m tron_staking``: the same command line as the ``tron-staking`` script."""

from __future__ import annotations

from tron_staking.cli import main

if __name__ == "__main__":
    main()
