"""Tests for the restricted unpickler."""

import os
import pickle

import numpy as np
import pytest

from mtagbench.data.safe_pickle import load_pickle, loads
from mtagbench.errors import DataError, UnsafePickleError

PROTOCOLS = [0, 2, 3, 4, 5]


class Custom:
    def __init__(self, value):
        self.value = value


class RunsCommand:
    """Pickles as a call to ``os.system``, as a malicious file would."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class CallsEval:
    def __reduce__(self):
        return (eval, ("1 + 1",))


ARRAYS = {
    "float32": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
    "float64": np.array([[-np.inf, 0.5], [np.nan, 1e300]]),
    "int64": np.array([-(2**40), 0, 7], dtype=np.int64),
    "uint8": np.array([0, 255], dtype=np.uint8),
    "bool": np.array([True, False, True]),
    "bytes": np.array([[b"03bSnISJMiM", b"0.0", b"12.5"]], dtype="S11"),
    "unicode": np.array(["uh", "really", "enjoyed"]),
    "fortran": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_array_round_trip(name, protocol):
    array = ARRAYS[name]

    loaded = loads(pickle.dumps(array, protocol=protocol))

    assert loaded.dtype == array.dtype
    assert loaded.shape == array.shape
    np.testing.assert_array_equal(loaded, array)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_object_array_of_words(protocol):
    words = np.empty(3, dtype=object)
    words[:] = ["i", "really", "enjoyed"]

    loaded = loads(pickle.dumps(words, protocol=protocol))

    assert loaded.dtype == object
    assert loaded.tolist() == ["i", "really", "enjoyed"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_scalars_and_containers(protocol):
    value = {
        "scalars": [np.float32(1.5), np.int64(-3), np.bool_(True)],
        "tuple": (1, 2.5, "text", b"raw", None, True),
        "set": {1, 2},
        "frozenset": frozenset({"a"}),
        "complex": complex(1, -2),
        "nested": [{"a": np.zeros((2, 0), dtype=np.float32)}],
    }

    loaded = loads(pickle.dumps(value, protocol=protocol))

    assert loaded["scalars"] == [np.float32(1.5), np.int64(-3), np.bool_(True)]
    assert type(loaded["scalars"][0]) is np.float32
    assert loaded["tuple"] == (1, 2.5, "text", b"raw", None, True)
    assert loaded["set"] == {1, 2}
    assert loaded["frozenset"] == frozenset({"a"})
    assert loaded["complex"] == complex(1, -2)
    assert loaded["nested"][0]["a"].shape == (2, 0)


def test_custom_class_rejected(tmp_path):
    path = tmp_path / "custom.pkl"
    path.write_bytes(pickle.dumps({"train": Custom(3)}))

    with pytest.raises(UnsafePickleError) as error:
        load_pickle(path)

    assert f"'{Custom.__module__}.Custom'" in str(error.value)
    assert str(path) in str(error.value)


def test_os_system_never_runs(tmp_path):
    marker = tmp_path / "command-ran"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps([np.zeros(2), RunsCommand(f"touch {marker}")]))

    with pytest.raises(UnsafePickleError) as error:
        load_pickle(path)

    assert f"'{os.system.__module__}.system'" in str(error.value)
    assert str(path) in str(error.value)
    assert not marker.exists()


def test_eval_rejected():
    with pytest.raises(UnsafePickleError) as error:
        loads(pickle.dumps(CallsEval()))

    assert "'builtins.eval'" in str(error.value)


def test_object_array_with_custom_element_rejected():
    array = np.empty(2, dtype=object)
    array[:] = ["fine", Custom(1)]

    with pytest.raises(UnsafePickleError) as error:
        loads(pickle.dumps(array))

    assert "Custom" in str(error.value)


def test_codecs_encode_other_encoding_rejected():
    data = pickle.dumps(b"ab", protocol=2)
    assert b"latin1" in data
    tampered = data.replace(b"latin1", b"utf_16")

    with pytest.raises(UnsafePickleError) as error:
        loads(tampered)

    assert "utf_16" in str(error.value)


def test_truncated_file(tmp_path):
    path = tmp_path / "truncated.pkl"
    data = pickle.dumps({"train": np.arange(1000, dtype=np.float32)})
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(DataError) as error:
        load_pickle(path)

    assert not isinstance(error.value, UnsafePickleError)
    assert str(path) in str(error.value)
    assert "truncated" in str(error.value)


def test_garbage_file(tmp_path):
    path = tmp_path / "garbage.pkl"
    path.write_bytes(b"this is not a pickle at all")

    with pytest.raises(DataError) as error:
        load_pickle(path)

    assert str(path) in str(error.value)


def test_missing_file(tmp_path):
    path = tmp_path / "absent.pkl"

    with pytest.raises(DataError) as error:
        load_pickle(path)

    assert str(path) in str(error.value)


def test_real_misa_pickle(real_data_dir):
    records = load_pickle(real_data_dir / "mosi-misa-dev" / "dev.pkl")

    assert isinstance(records, list)
    assert len(records) == 229
    (word_ids, visual, acoustic, words), label, segment_id = records[0]
    assert segment_id == "WKA5OygbEKI[0]"
    assert word_ids.dtype == np.int64
    assert visual.shape == (18, 47)
    assert acoustic.shape == (18, 74)
    assert len(words) == 18
    assert label.shape == (1, 1)
