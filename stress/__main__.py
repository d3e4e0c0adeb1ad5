"""
C{python -m stress CASE [--short|--long] [--seed N] ...}: run one case of
the campaign (or C{all}), print its figures as JSON lines, exit 1 if any
case found a problem (a lost write, a crash, a hang, a non-protocol answer,
unbounded growth), 2 if a case could not run at all.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench._driver import stop_all

from . import exhaust, faults, fuzz, kill

CASES = ("kill", "fuzz", "exhaust", "faults")


def say(text: str) -> None:
    print(text, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m stress", description=__doc__)
    parser.add_argument("case", choices=(*CASES, "all"))
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--short", action="store_true", help="the CI run (default)")
    length.add_argument("--long", action="store_true", help="the full campaign")
    parser.add_argument(
        "--seed", type=int, help="random seed (printed; reproduces a run)"
    )
    parser.add_argument("--kills", type=int, help="kill: number of kill -9 (20/200)")
    parser.add_argument(
        "--frames", type=int, help="fuzz: frames sent (50,000/1,000,000)"
    )
    parser.add_argument(
        "--only",
        help=f"exhaust: {','.join(exhaust.CASES)}; faults: {','.join(faults.CASES)}",
    )
    parser.add_argument(
        "--corpus", type=Path, default=fuzz.CORPUS, help="fuzz: where failing inputs go"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return parser.parse_args(argv)


def run_case(case: str, args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    if case == "kill":
        kills = args.kills or (200 if args.long else 20)
        return kill.run(directory, kills, rng, say)
    if case == "fuzz":
        frames = args.frames or (1_000_000 if args.long else 50_000)
        return fuzz.run(directory, frames, args.seed, args.corpus, say)
    if case == "exhaust":
        return exhaust.run(directory, exhaust.selected(args.only, args.long), say)
    return faults.run(directory, faults.selected(args.only, args.long), say)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(10**9)
    say(f"stress: seed {args.seed} (rerun with --seed {args.seed})")
    status = 0
    for case in CASES if args.case == "all" else (args.case,):
        directory = Path(tempfile.mkdtemp(prefix=f"stress-{case}-"))
        started = time.monotonic()
        try:
            figures = run_case(case, args, directory)
        except Exception:
            traceback.print_exc()
            figures = {
                "problems": [f"{case} could not run: {traceback.format_exc(limit=1)}"]
            }
            status = max(status, 2)
        finally:
            stop_all()
        figures["seconds_total"] = round(time.monotonic() - started, 1)
        problems = figures.get("problems", [])
        verdict = "FAIL" if problems else "pass"
        say(json.dumps({"case": case, "verdict": verdict, **figures}, default=str))
        for line in problems[:40]:
            say(f"  {case} problem: {line}")
        if problems:
            status = max(status, 1)
        if not args.keep:
            import shutil

            shutil.rmtree(directory, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
