"""SHA-256 sums of dataset files whose origin is known, so that ``mtagbench data inspect`` can name them."""

from __future__ import annotations

from mtagbench.io import sha256_file  # noqa: F401  (re-exported for the data commands)

KNOWN_FILES: dict[str, str] = {
    "78e0f8b5ef8ff71558e7307848fc1fa929ecb078203f565ab22b9daab2e02524":
        "CMU-MOSI unaligned_50.pkl as published by MMSA",
    "aef5f4617cdb067cc7606bb798eb6452c3de45f0f21cb3427be33c4d8c7fe852":
        "CMU_MOSI_Opinion_Labels.csd from the CMU-MultimodalSDK",
    "181272eb7ea3654941b7834604d0a61314368f4085668afae9f04c42a4610dee":
        "CMU_MOSI_ModifiedTimestampedWords.csd from the CMU-MultimodalSDK",
    "ca4fcdbb91353aa90289da64796713362b040507b8845155c091b45cf2641265":
        "standard_folds.json: the CMU-MultimodalSDK's standard CMU-MOSI folds",
    "d4405ac91f62a807be9ff8dc4a92a7cbbf9735f0b6032649077d2e7500cf7076":
        "CMU-MOSI valid split dev.pkl in the MISA layout",
    "222a1b205e17b04e5f5008280c666a1d71f53d8928768bc3612fd85b84522da1":
        "glove_embeddings.npy: GloVe 840B 300-d vectors of the CMU-MOSI vocabulary",
    "57bf15c5c60d34e63242fd2512420509ea70722873c7c23dd08058ca7984cbe4":
        "vocab.json: the CMU-MOSI vocabulary of glove_embeddings.npy",
}


def describe_known_file(sha256: str) -> str | None:
    """Return what the file with this SHA-256 is, or None when it is not a known file."""
    return KNOWN_FILES.get(sha256.lower())
