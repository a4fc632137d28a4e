"""Subcommands of `pintrk-harness`, one module each."""
