"""Strings matching a regular expression: the sampler lives in generator.sample.regex."""
from generator.sample.regex import sample

__all__ = ["sample"]
