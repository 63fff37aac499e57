"""A bounded protocol fuzz: random and mutated messages, before and after login, from many clients at
once, while a well-behaved client keeps asking `select 1`. It must answer each time within 1 s, the
emulator must log no traceback, and its memory must end where it started (within 50 MB)."""

from __future__ import annotations

import random
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil

from tests.emulator.raw_wire import logged_in_socket, message, raw_socket, startup_packet
from tests.emulator.wire_helpers import psycopg2_connect

SEED = 25
CASES = 240
TYPES = b"BCDEFHPQSXcdfp" + bytes(range(0x30, 0x7B, 7))
# Statements whose bytes are mutated: valid ones, so mutations land near working code paths.
VALID = [
    message(b"Q", b"select 1\0"),
    message(b"Q", b"select nvl(null, 2), getdate()\0"),
    message(b"P", b"s\0select $1::int\0\0\1\0\0\0\x17")
    + message(b"B", b"\0s\0\0\0\0\1\0\0\0\0011\0\0")
    + message(b"E", b"\0\0\0\0\0")
    + message(b"S"),
    message(b"C", b"Ss\0") + message(b"S"),
    message(b"D", b"S\0") + message(b"H"),
]


def mutated(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        where = rng.randrange(len(data))
        choice = rng.random()
        if choice < 0.4:
            data[where] = rng.randrange(256)
        elif choice < 0.7:
            del data[where:]
            if not data:
                data = bytearray(b"Q")
        else:
            data[where:where] = rng.randbytes(rng.randint(1, 16))
    return bytes(data)


def random_message(rng: random.Random) -> bytes:
    payload = rng.randbytes(rng.randint(0, 64))
    length = len(payload) + 4 if rng.random() < 0.7 else rng.choice([0, 3, 5, 9_999, 2**31 - 1, -7])
    return bytes([rng.choice(TYPES)]) + struct.pack("!i", length) + payload


def case(rng: random.Random, emulator) -> bytes:
    """One fuzz case's bytes, and whether they follow a login."""
    kind = rng.random()
    if kind < 0.25:  # before login: a mutated or random startup packet
        packet = startup_packet(emulator.user, emulator.database)
        return b"startup", mutated(rng, packet) if rng.random() < 0.7 else rng.randbytes(rng.randint(1, 40))
    if kind < 0.6:
        return b"login", b"".join(random_message(rng) for _ in range(rng.randint(1, 3)))
    return b"login", mutated(rng, rng.choice(VALID))


def run_case(emulator, when: bytes, data: bytes) -> None:
    sock = logged_in_socket(emulator) if when == b"login" else raw_socket(emulator)
    try:
        sock.settimeout(0.3)
        sock.sendall(data)
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline and sock.recv(65536):
            pass
    except (TimeoutError, ConnectionError):
        pass  # a case that waits for more (a COPY, half a message) is closed by the client
    finally:
        sock.close()


class SelectOne(threading.Thread):
    """The well-behaved client: `select 1` every 20 ms, the slowest answer kept."""

    def __init__(self, emulator) -> None:
        super().__init__(daemon=True)
        self.conn = psycopg2_connect(emulator)
        self.stop = threading.Event()
        self.slowest = 0.0
        self.answers = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with self.conn.cursor() as cur:
                while not self.stop.is_set():
                    started = time.monotonic()
                    cur.execute("select 1")
                    assert cur.fetchone() == (1,)
                    self.slowest = max(self.slowest, time.monotonic() - started)
                    self.answers += 1
                    time.sleep(0.02)
        except BaseException as failure:  # reported by the test, not lost in the thread
            self.failure = failure


def test_random_and_mutated_messages_leave_other_clients_served_and_memory_flat(redshift_emulator):
    emulator_process = psutil.Process(redshift_emulator.process.pid)
    log_before = redshift_emulator.process.log_path.read_text(errors="replace")
    warm = SelectOne(redshift_emulator)  # one login first, so the start RSS includes a served session
    warm.conn.close()
    rss_before = emulator_process.memory_info().rss

    rng = random.Random(SEED)
    cases = [case(rng, redshift_emulator) for _ in range(CASES)]
    bystander = SelectOne(redshift_emulator)
    bystander.start()
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda one: run_case(redshift_emulator, *one), cases))
    took = time.monotonic() - started
    bystander.stop.set()
    bystander.join(5)

    assert bystander.failure is None, f"the select 1 client failed during the fuzz: {bystander.failure!r}"
    assert bystander.answers > 10, f"the select 1 client got only {bystander.answers} answers in {took:.1f} s"
    assert bystander.slowest < 1, f"the select 1 client waited {bystander.slowest:.2f} s (seed {SEED})"
    added_log = redshift_emulator.process.log_path.read_text(errors="replace")[len(log_before) :]
    assert "Traceback" not in added_log, added_log[-3000:]
    time.sleep(0.5)  # the last sessions' upstream connections close
    grown = (emulator_process.memory_info().rss - rss_before) / 2**20
    assert grown < 50, f"the emulator's RSS grew by {grown:.0f} MB during {CASES} fuzz cases"
    check = psycopg2_connect(redshift_emulator)
    with check.cursor() as cur:
        cur.execute("select 3")
        assert cur.fetchone() == (3,)
        # Reading the history writes what the fuzz left queued (statements with bytes that are not UTF-8).
        cur.execute("select count(*) from sys_query_history")
        assert cur.fetchone()[0] > 0
    check.close()
    added_log = redshift_emulator.process.log_path.read_text(errors="replace")[len(log_before) :]
    assert "Traceback" not in added_log, added_log[-3000:]
    bystander.conn.close()
