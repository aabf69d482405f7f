"""Fault parsing, error descriptions and log redaction."""

from __future__ import annotations

import json
import logging

import pytest
from target_quickbooks.qbo import (
    QuickBooksFault,
    install_redaction,
    parse_fault,
    redact,
    register_secret,
)

UPPER = {
    "Fault": {
        "Error": [
            {
                "Message": "Duplicate Name Exists Error",
                "Detail": "The name supplied already exists. : Id=58",
                "code": "6240",
                "element": "DisplayName",
            }
        ],
        "type": "ValidationFault",
    },
    "time": "2026-03-01T10:00:00.000-08:00",
}
LOWER_401 = {
    "fault": {
        "error": [
            {
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": "Token expired: ",
                "code": "3200",
            }
        ],
        "type": "AUTHENTICATION",
    },
    "requestId": "abc",
}
XML_429 = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2026-03-01T10:00:00">'
    '<Fault type="SERVICE"><Error code="3001">'
    "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
    "<Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>"
)


def test_parse_upper_case_json_fault():
    fault = parse_fault(400, json.dumps(UPPER).encode(), {"intuit_tid": "tid-1"})
    assert fault.status == 400
    assert fault.fault_type == "ValidationFault"
    assert fault.code == "6240"
    assert fault.element == "DisplayName"
    assert fault.detail == "The name supplied already exists. : Id=58"
    assert fault.intuit_tid == "tid-1"
    assert fault.describe() == (
        "code 6240 Duplicate Name Exists Error: The name supplied already exists. : Id=58 "
        "[element DisplayName] (intuit_tid=tid-1)"
    )
    assert str(fault) == fault.describe()


def test_parse_lower_case_401():
    fault = parse_fault(401, json.dumps(LOWER_401), {"Intuit_Tid": "tid-2"})
    assert fault.code == "3200"
    assert fault.fault_type == "AUTHENTICATION"
    assert "AuthenticationFailed" in fault.message
    assert fault.detail == "Token expired: "
    assert fault.intuit_tid == "tid-2"


def test_parse_xml_429_even_without_declaration_or_namespace():
    fault = parse_fault(429, XML_429.encode(), {"intuit_tid": "tid-3"})
    assert (fault.code, fault.fault_type) == ("3001", "SERVICE")
    assert "ThrottleExceeded" in fault.message
    assert fault.detail == "The request limit was reached."
    bare = parse_fault(
        429, '<Fault type="SERVICE"><Error code="3001"><Message>m</Message></Error></Fault>', {}
    )
    assert (bare.code, bare.message, bare.intuit_tid) == ("3001", "m", None)


@pytest.mark.parametrize(
    ("body", "expected_detail"),
    [
        (b"<html><body>Bad Gateway</body></html>", "<html><body>Bad Gateway</body></html>"),
        (b"", ""),
        (b"{not json", "{not json"),
    ],
)
def test_parse_unrecognised_body_falls_back_to_status(body, expected_detail):
    fault = parse_fault(502, body, None)
    assert fault.code == "502"
    assert fault.detail == (expected_detail or "HTTP 502")


def test_oauth_style_error_body():
    fault = parse_fault(400, b'{"error": "invalid_grant"}', {})
    assert fault.code == "invalid_grant"


def test_multiple_errors_all_described():
    body = {
        "Fault": {
            "Error": [
                {"Message": "A", "Detail": "first", "code": "2020"},
                {"Message": "B", "Detail": "second", "code": "2010"},
            ],
            "type": "ValidationFault",
        }
    }
    fault = parse_fault(400, json.dumps(body), {})
    assert fault.has_code("2010")
    assert "code 2020 A: first; code 2010 B: second" in fault.describe()


def test_descriptions_and_logs_never_show_registered_secrets(caplog):
    secret = "rt-SECRET-0123456789"
    register_secret(secret)
    fault = QuickBooksFault(
        status=400,
        fault_type="ValidationFault",
        errors=[],
        intuit_tid=None,
    )
    assert "Unknown fault" in fault.describe()
    logger = logging.getLogger("target_quickbooks.qbo.test_redaction")
    install_redaction([logger])
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("token is %s", secret)
        logger.info(f"inline {secret}")
        try:
            int(f"boom {secret}")
        except ValueError:
            logger.exception("failed")
    assert secret not in caplog.text
    assert "token is ***" in caplog.text
    assert redact(f"x{secret}y") == "x***y"
