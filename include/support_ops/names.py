"""Names several capabilities share, each defined once here (nothing to import, nothing to configure).

The sandbox's generator keeps its own copy (it never imports the product);
tests/unit/test_names_agree.py holds the two equal.
"""

from __future__ import annotations

# The staff organization: exactly this name. Its tickets are not customer tickets (KPIs) and it is
# no customer account (integrity); 'GitLab Inc.' and friends are ordinary customers.
STAFF_ORG_NAME = "GitLab"
