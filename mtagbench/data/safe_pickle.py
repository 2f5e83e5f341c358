"""A restricted unpickler for dataset files that contain only NumPy arrays and builtin containers.

Plain :func:`pickle.load` calls any importable function named in the file, so opening a downloaded
pickle can run arbitrary code. :class:`SafeUnpickler` resolves only the globals NumPy needs to rebuild
arrays, dtypes and scalars, plus a few builtin container types, and raises
:class:`~mtagbench.errors.UnsafePickleError` for every other global before anything is called.

Lists, dicts, tuples, strings, bytes, numbers, booleans and None are built by pickle opcodes and need
no global. Object arrays (for example arrays of words) are allowed because their elements are
unpickled by this same class, so an element of any non-allowed type is rejected as well.
"""

from __future__ import annotations

import collections
import io
import pickle
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from mtagbench.errors import DataError, UnsafePickleError

# Pickles written by NumPy 1.x name ``numpy.core``; NumPy 2 renamed the package to ``numpy._core``.
# Both spellings resolve to the functions of the installed NumPy, without importing ``numpy.core``
# (which is deprecated in NumPy 2 and warns on access).
_NUMPY_CORE_PACKAGES = ("numpy.core", "numpy._core")


def _numpy_core_module(name: str) -> Any:
    try:
        return __import__(f"numpy._core.{name}", fromlist=[name])
    except ImportError:  # NumPy < 2
        return __import__(f"numpy.core.{name}", fromlist=[name])


_LATIN1_NAMES = frozenset({"latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1"})


def _allowed_globals() -> dict[tuple[str, str], Any]:
    multiarray = _numpy_core_module("multiarray")
    numeric = _numpy_core_module("numeric")

    allowed: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("collections", "OrderedDict"): collections.OrderedDict,
    }
    for package in _NUMPY_CORE_PACKAGES:
        allowed[(f"{package}.multiarray", "_reconstruct")] = multiarray._reconstruct
        allowed[(f"{package}.multiarray", "scalar")] = multiarray.scalar
        allowed[(f"{package}.numeric", "_frombuffer")] = numeric._frombuffer
    for builtins_module in ("builtins", "__builtin__"):
        for name, value in (
            ("set", set),
            ("frozenset", frozenset),
            ("list", list),
            ("dict", dict),
            ("tuple", tuple),
            ("bytes", bytes),
            ("bytearray", bytearray),
            ("str", str),
            ("int", int),
            ("float", float),
            ("complex", complex),
            ("bool", bool),
            ("slice", slice),
        ):
            allowed[(builtins_module, name)] = value
    return allowed


_ALLOWED = _allowed_globals()


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only NumPy array, dtype and scalar constructors and builtin containers.

    Args:
        file: Binary file object to read from.
        source: Name of the file, used in error messages.

    Raises:
        UnsafePickleError: From :meth:`load`, when the pickle references any other global; the
            message names the global as ``module.name`` and the file.
    """

    def __init__(self, file: BinaryIO, *, source: str = "<pickle>") -> None:
        # latin1 lets NumPy arrays written by Python 2 load; it changes nothing for Python 3 pickles.
        super().__init__(file, encoding="latin1")
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return self._encode_latin1
        found = _ALLOWED.get((module, name))
        if found is None:
            raise UnsafePickleError(
                f"{self.source}: the pickle references global '{module}.{name}', which is not allowed. "
                f"Dataset pickles may contain only NumPy arrays, NumPy scalars and builtin containers. "
                f"Re-save the data with NumPy arrays only, or check where the file came from"
            )
        return found

    def _encode_latin1(self, text: str, encoding: str = "latin1") -> bytes:
        """Stand in for ``_codecs.encode``, which protocol 0 to 2 pickles use to store ``bytes``."""
        if not isinstance(text, str) or encoding.lower().replace("_", "-") not in _LATIN1_NAMES:
            raise UnsafePickleError(
                f"{self.source}: the pickle calls _codecs.encode with encoding {encoding!r}, which is not "
                f"allowed. Pickles may encode bytes only as latin1"
            )
        return text.encode("latin1")

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(
            f"{self.source}: the pickle references persistent id {pid!r}, which is not allowed"
        )


def loads(data: bytes, *, source: str = "<bytes>") -> Any:
    """Unpickle ``data`` with :class:`SafeUnpickler`.

    Raises:
        UnsafePickleError: If the pickle references a global that is not allowed.
        DataError: If the data is truncated or not a valid pickle.
    """
    return _load_stream(io.BytesIO(data), source)


def load_pickle(path: str | Path) -> Any:
    """Read the pickle at ``path`` with :class:`SafeUnpickler`.

    Args:
        path: File to read.

    Returns:
        The unpickled object: NumPy arrays, NumPy scalars and builtin containers only.

    Raises:
        UnsafePickleError: If the pickle references a global that is not allowed.
        DataError: If the file is missing, unreadable, truncated or not a valid pickle.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            return _load_stream(file, str(path))
    except OSError as error:
        raise DataError(f"{path}: cannot read the file ({error.strerror or error})") from error


def _load_stream(file: BinaryIO, source: str) -> Any:
    try:
        return SafeUnpickler(file, source=source).load()
    except UnsafePickleError:
        raise
    except EOFError as error:
        raise DataError(
            f"{source}: the pickle is truncated (the file ends early); download it again"
        ) from error
    except (pickle.UnpicklingError, ValueError, TypeError, AttributeError, LookupError, MemoryError,
            RecursionError) as error:
        raise DataError(
            f"{source}: the file is not a valid pickle or is corrupt ({type(error).__name__}: {error})"
        ) from error

