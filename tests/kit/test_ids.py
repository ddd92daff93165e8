"""Identifiers: formats, ObjectId time layout, uniqueness across threads and processes."""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from khata.kit.ids import is_object_id, new_customer_id, new_object_id, new_seller_id


def test_seller_and_customer_id_formats() -> None:
    assert re.fullmatch(r"CEK[A-Z0-9]{7}", new_seller_id())
    assert re.fullmatch(r"KC[A-Z0-9]{14}", new_customer_id())


def test_object_id_carries_its_creation_second_first() -> None:
    object_id = new_object_id(1_765_226_600.7)
    assert is_object_id(object_id)
    assert int(object_id[:8], 16) == 1_765_226_600


def test_object_ids_sort_by_creation_time() -> None:
    earlier, later = new_object_id(1_700_000_000), new_object_id(1_700_000_001)
    assert earlier < later


def test_object_ids_are_unique_across_threads() -> None:
    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(lambda _: [new_object_id() for _ in range(5000)], range(8)))
    ids = [i for batch in batches for i in batch]
    assert len(set(ids)) == len(ids) == 40_000


def test_object_ids_are_unique_across_processes() -> None:
    code = (
        "from khata.kit.ids import new_object_id as n; print('\\n'.join(n(1) for _ in range(3000)))"
    )
    outputs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(3)
    ]
    ids = [line for out in outputs for line in out.stdout.split()]
    # Same second for all: only the per-process random part and counter keep them apart.
    assert len(ids) == 9000
    assert len(set(ids)) == 9000


def test_a_forked_process_takes_a_random_part_of_its_own() -> None:
    # uvicorn's workers and the delivery worker are forked: with the parent's random part and
    # counter, a child's ids in the same second would repeat the parent's.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, new_object_id(1).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 24).decode()
    parent = new_object_id(1)
    assert is_object_id(child) and child[8:18] != parent[8:18]


def test_is_object_id_rejects_other_shapes() -> None:
    assert not is_object_id("69ab24db449866373d5e3e3")  # 23 chars
    assert not is_object_id("69AB24DB449866373D5E3E35")  # upper case is not our layout
    assert not is_object_id(12)
