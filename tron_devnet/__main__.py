"""``python -m tron_devnet``: the ``tron-devnet`` command."""

from tron_devnet.cli import main

raise SystemExit(main())
