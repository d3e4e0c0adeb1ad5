"""
The fuzzer's inputs: reproducible from a seed, every method generated,
specials that reach the driver as CBOR it has to decode.
"""

from __future__ import annotations

import random

import cbor2
import pytest

from dbdriver.requests.methods import REQUEST_TYPES
from stress import mutate


def test_a_seed_reproduces_the_inputs() -> None:
    first = [mutate.payload(random.Random(5), i) for i in range(200)]
    again = [mutate.payload(random.Random(5), i) for i in range(200)]
    assert first == again


def test_every_method_is_generated() -> None:
    rng = random.Random(1)
    methods = {mutate.request(rng, i)["method"] for i in range(2000)}
    assert methods == set(REQUEST_TYPES)


def test_generated_params_are_fields_of_the_class() -> None:
    rng = random.Random(2)
    names = {f.name for f in REQUEST_TYPES["select"].__attrs_attrs__ if f.init}
    for _ in range(50):
        found = set(mutate.params(rng, "select")) - names
        assert len(found) <= 1  # at most one unknown param added on purpose


def test_raw_values_are_spliced_into_the_encoding() -> None:
    data = mutate.encode(random.Random(0), {"a": mutate.Raw(b"\xf7"), "b": 1})
    assert data == b"\xa2\x61a\xf7\x61b\x01"


def test_a_cycle_decodes_to_itself() -> None:
    data = mutate.encode(
        random.Random(0), {"v": mutate.Raw(b"\xd8\x1c\x81\xd8\x1d\x00")}
    )
    found = cbor2.loads(data)["v"]
    assert found[0] is found


@pytest.mark.parametrize("seed", range(5))
def test_specials_encode(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        assert mutate.encode(rng, {"id": 1, "x": mutate.special(rng)})


def test_mutate_bytes_changes_something() -> None:
    rng = random.Random(3)
    data = cbor2.dumps({"id": 1, "method": "ping"})
    assert any(mutate.mutate_bytes(rng, data) != data for _ in range(10))


def test_head_encodes_lengths() -> None:
    assert mutate.head(2, 5) == b"\x45"
    assert mutate.head(4, 300) == b"\x99\x01\x2c"
    assert mutate.head(5, 2**60) == b"\xbb" + (2**60).to_bytes(8, "big")
