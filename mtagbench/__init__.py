"""mtagbench: benchmark and model zoo for unaligned multimodal sequences, centred on MTAG."""

from importlib.metadata import PackageNotFoundError, version

from mtagbench.registry import create_model, get_model_spec, list_models, register_model
from mtagbench.zoo import list_pretrained

try:
    __version__ = version("mtagbench")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "create_model", "get_model_spec", "list_models", "list_pretrained", "register_model"]
