"""Sample data from the spec (`gen sample`): realistic rows that satisfy every type, enum,
check, unique and foreign key, spread over tenants and owners, fixed by a seed, loaded with
COPY or written as files. `generate()` gives small sets as Python rows."""
from generator.sample.load import TableResult, load, write_files
from generator.sample.sampler import Sampler, TableSample, generate

__all__ = ["Sampler", "TableSample", "TableResult", "generate", "load", "write_files"]
