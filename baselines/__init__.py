"""Baseline models for mtagbench, registered through the ``mtagbench.models`` entry point."""
