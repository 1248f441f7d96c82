"""Quicker pickling of the model's frozen, slotted dataclasses: a resolved spec crosses a fork's pipe
in `gen diff` and `gen review` (generator.forked). The dataclasses module's own __getstate__ and
__setstate__ for such classes call fields() for every object; these read a tuple of the field names
made once per class. The state is the same: the field values in their order."""
from __future__ import annotations

import dataclasses


def quicken(namespace: dict) -> None:
    """Give every dataclass in `namespace` that pickles through dataclasses' slot-state functions
    the quicker pair."""
    for cls in list(namespace.values()):
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and \
                getattr(getattr(cls, "__setstate__", None), "__name__", "") == "_dataclass_setstate":
            _quicken(cls)


def _quicken(cls: type) -> None:
    names = tuple(f.name for f in dataclasses.fields(cls))

    def __getstate__(self, _names=names):
        return [getattr(self, name) for name in _names]

    def __setstate__(self, state, _names=names, _set=object.__setattr__):
        for name, value in zip(_names, state):
            _set(self, name, value)

    cls.__getstate__, cls.__setstate__ = __getstate__, __setstate__
