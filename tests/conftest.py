"""Every test run has its own pseudonymisation secret: `htic` never generates one unasked
(pipelines/settings.py), and no test may depend on a key file in the checkout."""

import os

TEST_SECRET = "pytest-pseudonym-secret-8e41c07d"


def pytest_configure(config):
    if "HTIC_PSEUDONYM_SECRET" not in os.environ and "HTIC_SECRET_FILE" not in os.environ:
        os.environ["HTIC_PSEUDONYM_SECRET"] = TEST_SECRET
