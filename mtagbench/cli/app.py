"""The Typer application that every command module adds its commands to."""

import typer

app = typer.Typer(
    name="mtagbench",
    help="Benchmark and model zoo for unaligned multimodal sequences, centred on MTAG.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
