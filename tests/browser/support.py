"""What the browser tests share: the environment of a real `khata serve` and the server itself."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.delivery.servers import SmtpServer
from tests.support import Database

CHROMIUM = "/usr/bin/chromium"


def khata_env(database: Database, smtp: SmtpServer, tmp_path: Path, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KHATA_")}
    return env | {
        "KHATA_DATABASE_URL": database.url,
        "KHATA_REPORT_DIR": str(tmp_path / "reports"),
        "KHATA_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "KHATA_SMTP_HOST": "127.0.0.1",
        "KHATA_SMTP_PORT": str(smtp.port),
    }


@asynccontextmanager
async def khata_serve(env: dict[str, str], port: int) -> AsyncIterator[str]:
    """`khata serve` (no embedded worker) on `port` until the block ends; answers its base URL."""
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "khata.cli", "serve", "--port", str(port), "--no-worker"],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=2) as probe:
            for _ in range(300):
                try:
                    if (await probe.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=20)
