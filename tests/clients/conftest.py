"""The life checker's asserts are rewritten by pytest so a mismatch shows both ledgers."""

import pytest

pytest.register_assert_rewrite("tests.clients.life")
