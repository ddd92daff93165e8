"""A small HTTP/1.1 load generator: N keep-alive connections GET paths in turn for a while.

Run as its own process (the bench starts it), so it takes the other core and never shares an
interpreter with the server it measures. Prints one JSON line: requests, errors, req/s, p50,
p99 (ms). Written on asyncio streams rather than an HTTP client library so that the generator
itself is not the bottleneck at a few thousand requests per second.

    python bench/reads_load.py --url http://127.0.0.1:8000 --header 'accessToken: k' \
        --seconds 15 --connections 64 /api/v0/invoice/X /api/v0/invoice/Y
"""

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit


async def _connection(
    host: str,
    port: int,
    request_lines: list[bytes],
    until: float,
    start_index: int,
    latencies: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    index = start_index
    try:
        while time.perf_counter() < until:
            request = request_lines[index % len(request_lines)]
            index += 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def run(url: str, headers: list[str], paths: list[str], seconds: float, connections: int):
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    extra = "".join(f"{header}\r\n" for header in headers)
    requests = [
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode() for path in paths
    ]
    latencies: list[float] = []
    errors: list[int] = []
    # A short warm-up, not counted.
    await asyncio.gather(
        *(
            _connection(host, port, requests, time.perf_counter() + 1, i, [], [])
            for i in range(connections)
        )
    )
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _connection(host, port, requests, started + seconds, i * 7, latencies, errors)
            for i in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()

    def at(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_statuses": sorted(set(errors))[:5],
        "rps": len(latencies) / elapsed,
        "p50_ms": at(0.50),
        "p99_ms": at(0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.header, args.paths, args.seconds, args.connections))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
