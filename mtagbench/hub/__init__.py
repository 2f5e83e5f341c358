"""Hugging Face Hub support: the network client, model cards and file hashes.

Only :mod:`mtagbench.hub.client` talks to the network.
"""
