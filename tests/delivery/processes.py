"""Real `khata` processes for the delivery tests: the command line, `khata serve` on a port,
`khata worker` in a process group of its own, and an SMTP server that counts by Message-ID."""

import asyncio
import email
import email.policy
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import httpx

KHATA = os.path.join(os.path.dirname(sys.executable), "khata")
INVOICE_NUMBER = re.compile(r"Invoice (INV-[A-Z0-9-]+)")


@dataclass(frozen=True)
class Logged:
    """One message as the SMTP server took it."""

    message_id: str
    recipient: str
    subject: str
    invoice_numbers: tuple[str, ...]  # reminders: the invoices the message lists


@dataclass
class CountingHandler:
    """aiosmtpd handler: logs every message (its Message-ID first), then answers 250 after a
    random 20-50 ms, the pace of a real relay; a sender killed meanwhile never hears back."""

    log: list[Logged] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pace: random.Random = field(default_factory=lambda: random.Random(18))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content
        headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        subject = str(headers["Subject"])
        numbers: tuple[str, ...] = ()
        if subject.startswith("Payment reminder"):
            message = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            numbers = tuple(INVOICE_NUMBER.findall(body.get_content()))
        with self.lock:
            self.log.append(
                Logged(str(headers["Message-ID"]), str(headers["To"]), subject, numbers)
            )
            delay = self.pace.uniform(0.02, 0.05)
        await asyncio.sleep(delay)
        return "250 Message accepted for delivery"

    def count_by_message_id(self) -> Counter[str]:
        with self.lock:
            return Counter(logged.message_id for logged in self.log)

    def received(self) -> int:
        with self.lock:
            return len(self.log)


async def khata(env: dict[str, str], *args: str) -> str:
    """Run one `khata` command to its end; answers its output (it must succeed)."""
    process = await asyncio.create_subprocess_exec(
        KHATA,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


async def khata_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    output = await khata(env, *args)
    answer: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return answer


def start(env: dict[str, str], log_file: Path, *args: str) -> subprocess.Popen[bytes]:
    """A long-running `khata` command in a process group of its own (so a kill reaches the
    processes it starts too), its output in `log_file`."""
    with log_file.open("wb") as out:
        return subprocess.Popen(
            [KHATA, *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill_group(process: subprocess.Popen[bytes], signum: int = signal.SIGKILL) -> None:
    """Signal a process started by `start` and everything in its group."""
    if process.poll() is None:
        os.killpg(process.pid, signum)


def tail(log_file: Path) -> str:
    """The end of a process's log, for a failure message."""
    return log_file.read_text(errors="replace")[-3000:]


async def wait_healthy(base_url: str, process: subprocess.Popen[bytes], log_file: Path) -> None:
    async with httpx.AsyncClient(timeout=2.0) as http:
        for _ in range(300):
            if process.poll() is not None:
                raise AssertionError(f"{base_url} exited: {tail(log_file)}")
            try:
                if (await http.get(f"{base_url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base_url} never answered: {tail(log_file)}")


async def wait_exit(process: subprocess.Popen[bytes], seconds: float) -> int | None:
    for _ in range(int(seconds / 0.05)):
        code = process.poll()
        if code is not None:
            return code
        await asyncio.sleep(0.05)
    return process.poll()
