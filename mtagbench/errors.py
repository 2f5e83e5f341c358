"""Exceptions that mark a user mistake rather than a bug in mtagbench.

The command-line layer prints a :class:`MtagbenchError` as one message and exits with code 2,
without a traceback. Library callers catch it like any other exception.
"""


class MtagbenchError(Exception):
    """A problem with the user's input: a file, an option value or a checkpoint."""


class DataError(MtagbenchError):
    """A dataset file is missing, unreadable, or holds values mtagbench cannot use."""


class UnsafePickleError(DataError):
    """A pickle references a global that the restricted unpickler does not allow."""


class ConfigError(MtagbenchError):
    """An option is unknown or has an invalid value."""


class CheckpointError(MtagbenchError):
    """A checkpoint is missing, corrupt, tampered with, or does not match the data."""


class HubError(MtagbenchError):
    """A Hugging Face Hub request failed, or a checkpoint is neither on the Hub nor in the local cache."""
