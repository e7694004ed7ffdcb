"""Schemathesis generates requests from the OpenAPI document: none may cause a server error,
and every answer must match the document."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from litdesk.domain.orders import Role
from tests.server.conftest import LiveServer

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = int(os.environ.get("LITDESK_SCHEMATHESIS_EXAMPLES", "15"))


@pytest.mark.slow
@pytest.mark.parametrize("role", [Role.ADVERTISER, Role.BRAND_STAFF])
def test_no_server_error_for_generated_requests(server: LiveServer, role: Role,
                                                 tmp_path: Path) -> None:
    account = server.account(role)
    result = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{server.url}/openapi.json",
         "--checks", "not_a_server_error,status_code_conformance,"
                     "content_type_conformance,response_schema_conformance",
         "--header", f"Authorization: Bearer {account.token}",
         "--max-examples", str(MAX_EXAMPLES), "--seed", "1", "--request-timeout", "30",
         "--phases", "examples,coverage,fuzzing",
         "--exclude-path", "/api/v1/auth/logout",
         "--report-dir", str(tmp_path), "--no-color"],
        capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
