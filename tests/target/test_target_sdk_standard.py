"""singer-sdk's standard target tests, where they apply.

Most of the SDK's target suite feeds generic streams (`test_stream`, camel-case
columns, ...) that this target must refuse by design: it writes only products,
customers, invoices and credit memos and fails on any other stream with a
clear error. The tests that apply to every target — CLI/about output, and a
RECORD before its SCHEMA being refused — run here; the rest of the contract
is covered by this folder's own tests.
"""

from __future__ import annotations

from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.target_tests import TargetCliPrintsTest, TargetRecordBeforeSchemaTest
from target_quickbooks.target import TargetQuickBooks

CONFIG = {
    "client_id": "id", "client_secret": "secret", "refresh_token": "token",
    "realm_id": "1", "api_url": "http://127.0.0.1:9/v3",
    "oauth_discovery_url": "http://127.0.0.1:9/.well-known/openid_configuration",
}

applicable = SingerTestSuite(
    kind="target", tests=[TargetCliPrintsTest, TargetRecordBeforeSchemaTest]
)

TestTargetQuickBooksStandard = get_target_test_class(
    TargetQuickBooks, config=CONFIG, custom_suites=[applicable], include_target_tests=False
)
