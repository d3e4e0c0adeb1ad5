"""
The fuzzer: windows of frames (random bytes, generated, mutated and special
requests, mutated CBOR) on one connection, and now and then broken framing
on a connection of its own.  Every frame must get exactly one protocol
answer (its id, or null when the id cannot be read); broken framing one
C{bad_frame}/C{message_too_large} frame, then the close.  A watchdog pings
throughout (no pong within 2 s: a hang) and samples the driver's RSS.  A
window that fails is replayed frame by frame to find the input, which is
saved to the corpus (replayed by tests/stress/test_corpus.py).
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2

from . import mutate
from ._process import Driver
from ._wire import Closed, Hang, Peer, code, frame, problem

CORPUS = Path(__file__).resolve().parent / "corpus"
WINDOW = 32
#: The watchdog's ping interval and the longest a pong may take (s).
PING_EVERY, PING_LIMIT = 0.5, 2.0
#: RSS growth allowed from the sample after the first 10 % of frames (MB).
RSS_GROWTH_MB = 100.0
#: At most this many corpus files per problem kind and run.
SAVE_PER_KIND = 3
#: A run stops after this many failed windows (each replayed to blame it).
MAX_FAILED_WINDOWS = 20
#: The longest wait for a window's answers (s).
WINDOW_TIMEOUT = 3.0
SETUP = {
    "name": "t",
    "columns": [
        {"name": "n", "type": "integer", "primary_key": True},
        {"name": "tag", "type": "text"},
        {"name": "k", "type": "integer"},
    ],
}


def expected_id(data: bytes) -> int | None:
    """The id the driver should answer with (None: it cannot be read)."""
    try:
        message = cbor2.loads(data)
    except Exception:
        return None
    if isinstance(message, dict):
        found = message.get("id")
        if type(found) is int:
            return found  # a bignum or negative id may be echoed or null
    return None


def short(value: object, size: int = 60) -> str:
    """A repr cut to C{size} characters (bignums included)."""
    try:
        text = repr(value)
    except ValueError:
        text = f"<int of {value.bit_length()} bits>" if isinstance(value, int) else "?"
    return text[:size]


def check_window(answers: list[Any], sent: list[bytes]) -> list[str]:
    """What is wrong with the C{answers} to the frames C{sent} (one each)."""
    wanted: dict[int | None, int] = {}
    for data in sent:
        key = expected_id(data)
        wanted[key] = wanted.get(key, 0) + 1
    found: list[str] = []
    nulls = 0
    for answer in answers:
        wrong = problem(answer, None)
        if wrong:
            found.append(f"non-protocol answer: {wrong}")
            continue
        key = answer["id"]
        if key is None:
            nulls += 1
        elif wanted.get(key, 0) > 0:
            wanted[key] -= 1
        else:
            found.append(f"answer for an id not in flight: {short(key)}")
    left = sum(wanted.values())
    if nulls > left:
        found.append(f"{nulls - left} answers too many")
    elif nulls < left:
        found.append(f"{left - nulls} frames without an answer")
    return found


def exchange(
    peer: Peer, sent: list[bytes], timeout: float
) -> tuple[list[Any], str | None]:
    """Send the frames, read one answer per frame; (answers, why it stopped)."""
    peer.send_bytes(b"".join(frame(data) for data in sent))
    answers: list[Any] = []
    try:
        while len(answers) < len(sent):
            answers.append(peer.read(timeout))
    except Closed:
        return answers, "connection closed without broken framing"
    except Hang:
        return answers, None
    return answers, None


def framing_case(socket: str, data: bytes, wanted: str) -> str | None:
    """Broken framing: one error frame with C{wanted}, then the close."""
    with Peer(socket) as peer:
        peer.send_bytes(data)
        try:
            answer = peer.read(5)
        except (Closed, Hang) as e:
            return f"broken framing {data[:20]!r}: no error frame ({e})"
        if (
            problem(answer, None)
            or answer.get("id") is not None
            or code(answer) != wanted
        ):
            return f"broken framing {data[:20]!r}: answered {answer!r:.200}"
        try:
            extra = peer.read(5)
        except Closed:
            return None
        except Hang:
            return f"broken framing {data[:20]!r}: connection left open"
        return f"broken framing {data[:20]!r}: a second frame {extra!r:.100}"


class Watchdog(threading.Thread):
    """Pings on a connection of its own; samples RSS."""

    def __init__(self, driver: Driver) -> None:
        super().__init__(daemon=True, name="watchdog")
        self.driver = driver
        self.running = True
        self.pings = 0
        self.hangs: list[str] = []
        self.rss: list[float] = []
        self.baseline: float | None = None

    def run(self) -> None:
        peer: Peer | None = None
        while self.running:
            try:
                peer = peer if peer and not peer.closed else Peer(self.driver.socket)
                started = time.monotonic()
                answer = peer.call("ping", timeout=PING_LIMIT)
                if answer.get("result") != "pong":
                    self.hangs.append(f"ping answered {answer!r:.100}")
                self.pings += 1
                time.sleep(max(0.0, PING_EVERY - (time.monotonic() - started)))
            except Hang:
                self.hangs.append(f"ping not answered in {PING_LIMIT} s")
                peer.close() if peer else None
            except (OSError, Closed):
                time.sleep(0.1)  # the driver is restarting
            if self.driver.alive():
                self.rss.append(self.driver.rss_mb())


class Fuzz:
    def __init__(
        self, driver: Driver, corpus: Path, say: Callable[[str], None]
    ) -> None:
        self.driver = driver
        self.corpus = corpus
        self.say = say
        self.problems: list[str] = []
        self.saved: dict[str, int] = {}
        self.crashes = 0
        self.failed_windows = 0
        self.reconnects = 0
        self.kinds: dict[str, int] = {}
        self.codes: dict[str, int] = {}
        self.peer = Peer(driver.socket)

    def save(self, data: bytes, why: str) -> None:
        kind = why.split(":")[0][:60]
        if self.saved.get(kind, 0) >= SAVE_PER_KIND:
            return
        self.saved[kind] = self.saved.get(kind, 0) + 1
        self.corpus.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()[:16]
        (self.corpus / f"open-{name}.cbor").write_bytes(data)
        (self.corpus / f"open-{name}.txt").write_text(why + "\n")

    def fresh(self) -> None:
        if not self.driver.alive():
            self.crashes += 1
            self.problems.append(f"driver died: {self.driver.log_tail(5)}")
            self.driver.stop()
            self.driver.start()
        self.peer.close()
        self.peer = Peer(self.driver.socket)
        self.reconnects += 1

    def blame(self, sent: list[bytes]) -> None:
        """Replay a failed window one frame at a time; save the culprits."""
        for data in sent:
            self.fresh()
            answers, why = exchange(self.peer, [data], PING_LIMIT)
            found = ([why] if why else []) + check_window(answers, [data])
            if not found:
                try:
                    pong = self.peer.call("ping", timeout=PING_LIMIT)
                    if pong.get("result") != "pong":
                        found.append(f"ping after it answered {pong!r:.100}")
                except (Closed, Hang) as e:
                    found.append(f"ping after it: {type(e).__name__}")
            if found:
                self.problems.append(f"{found[0]} (input {data[:60]!r})")
                self.save(data, found[0])
        self.fresh()

    def window(self, rng: random.Random, base: int) -> int:
        kinds = [mutate.payload(rng, base + i) for i in range(WINDOW)]
        sent = [data for _, data in kinds]
        for kind, _ in kinds:
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
        try:
            answers, why = exchange(self.peer, sent, WINDOW_TIMEOUT)
        except Closed:
            answers, why = [], "connection closed without broken framing"
        for answer in answers:
            answered = code(answer) or "result"
            self.codes[answered] = self.codes.get(answered, 0) + 1
        found = ([why] if why else []) + check_window(answers, sent)
        if found:
            self.failed_windows += 1
            self.blame(sent)
        return len(sent)


def run(
    directory: Path, frames: int, seed: int, corpus: Path, say: Callable[[str], None]
) -> dict[str, Any]:
    rng = random.Random(seed)
    driver = Driver(directory, str(directory / "fuzz.sqlite3")).start()
    with Peer(driver.socket) as peer:
        peer.call("create_table", params={"schema": SETUP})
    fuzz = Fuzz(driver, corpus, say)
    watchdog = Watchdog(driver)
    watchdog.start()
    started = time.monotonic()
    sent = framing = 0
    try:
        while sent < frames and fuzz.failed_windows < MAX_FAILED_WINDOWS:
            if rng.random() < 0.02:
                data, wanted = mutate.broken_framing(rng)
                wrong = framing_case(driver.socket, data, wanted)
                framing += 1
                if wrong:
                    fuzz.problems.append(wrong)
                    fuzz.save(data, wrong)
                continue
            sent += fuzz.window(rng, 1 + sent)
            if watchdog.baseline is None and sent >= frames // 10 and watchdog.rss:
                watchdog.baseline = watchdog.rss[-1]
            if sent % 10_000 < WINDOW:
                say(f"fuzz: {sent}/{frames} frames, rss {driver.rss_mb():.0f} MB")
    finally:
        watchdog.running = False
        watchdog.join(5)
        rss_last = driver.rss_mb()
        fuzz.peer.close()
        driver.stop()
    rss = watchdog.rss or [0.0]
    baseline = watchdog.baseline or rss[0]
    problems = fuzz.problems + watchdog.hangs
    if rss_last - baseline > RSS_GROWTH_MB:
        problems.append(
            f"RSS grew {baseline:.0f} -> {rss_last:.0f} MB (bound +{RSS_GROWTH_MB:.0f})"
        )
    problems += [p for p in driver.problems if "Traceback" in p or "Unhandled" in p][
        :10
    ]
    if fuzz.failed_windows >= MAX_FAILED_WINDOWS:
        problems.append(
            f"stopped after {sent} frames: {MAX_FAILED_WINDOWS} failed windows"
        )
    return {
        "seed": seed,
        "frames": sent,
        "framing_cases": framing,
        "seconds": round(time.monotonic() - started, 1),
        "by_kind": fuzz.kinds,
        "answers_by_code": fuzz.codes,
        "watchdog_pings": watchdog.pings,
        "crashes": fuzz.crashes,
        "failed_windows": fuzz.failed_windows,
        "reconnects": fuzz.reconnects,
        "rss_mb": {
            "first": round(rss[0], 1),
            "baseline": round(baseline, 1),
            "max": round(max(rss), 1),
            "last": round(rss_last, 1),
        },
        "corpus_saved": sum(fuzz.saved.values()),
        "problems": problems,
    }
