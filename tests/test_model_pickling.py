"""The model's quicker pickling (generator/model/pickling.py) keeps every value: a resolved spec
sent through a fork's pipe (`gen diff`, `gen review`) comes back equal, field for field."""
from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

import generator.model as model
from generator.migrate.project import load_project

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("spec", sorted((ROOT / "spec").glob("*.yaml")), ids=lambda p: p.stem)
def test_a_resolved_spec_comes_back_equal(spec):
    project = load_project(str(spec))
    back = pickle.loads(pickle.dumps(project, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == project
    # equality skips fields declared compare=False (source locations): compare those too
    for table, again in zip(project.schema.tables, back.schema.tables):
        for f in dataclasses.fields(table):
            assert getattr(again, f.name) == getattr(table, f.name), (table.name, f.name)
        assert [c.loc for c in again.columns] == [c.loc for c in table.columns]


def test_every_slotted_frozen_class_of_the_model_is_quickened():
    slotted = [c for c in vars(model).values() if isinstance(c, type) and dataclasses.is_dataclass(c)
               and hasattr(c, "__slots__") and c.__dataclass_params__.frozen]
    assert len(slotted) > 30
    assert all(c.__setstate__.__name__ == "__setstate__" for c in slotted), \
        [c.__name__ for c in slotted if c.__setstate__.__name__ != "__setstate__"]
