"""The `khata` command end to end, as an operator runs it: real processes, real databases."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

KHATA = [sys.executable, "-m", "khata.cli"]


def run_khata(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KHATA_DATABASE_URL": database_url}
    return subprocess.run([*KHATA, *args], capture_output=True, text=True, env=env, timeout=120)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_seller_and_token_commands(scratch_database_url: str) -> None:
    created = run_khata(
        "seller",
        "create",
        "--name",
        "Acme Traders",
        "--state",
        "Karnataka",
        "--json",
        database_url=scratch_database_url,
    )
    assert created.returncode == 0, created.stderr
    seller = json.loads(created.stdout)
    assert set(seller) == {"sellerId", "adminEmail", "adminPassword", "clientId", "clientSecret"}
    assert re.fullmatch(r"CEK[A-Z0-9]{7}", seller["sellerId"])

    token = run_khata(
        "token",
        "create",
        "--seller",
        seller["sellerId"],
        "--name",
        "ERP",
        "--json",
        database_url=scratch_database_url,
    )
    assert token.returncode == 0, token.stderr
    key = json.loads(token.stdout)["token"]
    assert key.startswith(seller["sellerId"] + ".")

    revoked = run_khata("token", "revoke", key, database_url=scratch_database_url)
    assert revoked.returncode == 0
    again = run_khata("token", "revoke", key, database_url=scratch_database_url)
    assert again.returncode == 1
    assert "no such active token" in again.stdout


def test_seller_create_refuses_bad_input(scratch_database_url: str) -> None:
    result = run_khata(
        "seller",
        "create",
        "--name",
        "X",
        "--state",
        "29",
        "--gstin",
        "27AAPFU0939F1ZV",
        database_url=scratch_database_url,
    )
    assert result.returncode == 1
    assert "gstin" in result.stdout


def test_token_create_for_unknown_seller_fails(scratch_database_url: str) -> None:
    result = run_khata(
        "token",
        "create",
        "--seller",
        "CEKNOSUCH1",
        "--name",
        "x",
        database_url=scratch_database_url,
    )
    assert result.returncode == 1
    assert "Seller not found" in result.stdout


def test_seller_update_sets_and_clears_the_profile(scratch_database_url: str) -> None:
    created = run_khata(
        "seller", "create", "--name", "Acme", "--state", "29", "--json",
        database_url=scratch_database_url,
    )  # fmt: skip
    seller_id = json.loads(created.stdout)["sellerId"]
    updated = run_khata(
        "seller", "update", "--seller", seller_id,
        "--address", "1 Residency Road, Bengaluru 560025",
        "--upi-id", "acme@okicici",
        "--bank-account-number", "000401234567", "--bank-ifsc", "icic0000004",
        "--authorised-signatory", "K. Rao",
        database_url=scratch_database_url,
    )  # fmt: skip
    assert updated.returncode == 0, updated.stdout + updated.stderr
    profile = json.loads(updated.stdout)
    assert profile["upiId"] == "acme@okicici"
    assert profile["address"] == "1 Residency Road, Bengaluru 560025"
    assert profile["bankAccount"] == {
        "accountName": None,
        "accountNumber": "000401234567",
        "ifsc": "ICIC0000004",
        "bankName": None,
    }
    # A later bank option keeps the rest of the stored account; "" clears a text setting.
    again = run_khata(
        "seller", "update", "--seller", seller_id, "--bank-name", "ICICI Bank", "--upi-id", "",
        database_url=scratch_database_url,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    profile = json.loads(again.stdout)
    assert profile["bankAccount"]["accountNumber"] == "000401234567"
    assert profile["bankAccount"]["bankName"] == "ICICI Bank"
    assert profile["upiId"] is None
    assert profile["authorisedSignatory"] == "K. Rao"

    refused = run_khata(
        "seller", "update", "--seller", seller_id, "--upi-id", "not a vpa",
        database_url=scratch_database_url,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "upiId" in refused.stdout and "UPI id" in refused.stdout
    unknown = run_khata(
        "seller", "update", "--seller", "CEKNOSUCH1", "--address", "x",
        database_url=scratch_database_url,
    )  # fmt: skip
    assert unknown.returncode == 1
    assert "Seller not found" in unknown.stdout


def test_serve_on_empty_sqlite_prints_demo_credentials_that_work(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "KHATA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}",
        "KHATA_REPORT_DIR": str(tmp_path / "reports"),
    }
    server = subprocess.Popen(
        [*KHATA, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if "Uvicorn running" in line or not line:
                break
        output = "".join(lines)
        client_line = re.search(r"OAuth client:\s+(\S+) / (\S+)", output)
        login_line = re.search(r"admin login:\s+(\S+) / (\S+)", output)
        assert client_line and login_line, output
        response = httpx.post(
            f"http://127.0.0.1:{port}/oauth/token",
            auth=(client_line[1], client_line[2]),
            data={"grant_type": "password", "username": login_line[1], "password": login_line[2]},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        me = httpx.get(
            f"http://127.0.0.1:{port}/api/v0/seller", headers={"accessToken": token}, timeout=10
        )
        assert me.status_code == 200
        assert me.json()["payload"]["legalName"] == "Demo Traders Pvt Ltd"
    finally:
        server.terminate()
        server.wait(timeout=20)
