"""The trigger functions the touch and version traits generate (shared with the importer,
which recognises them by comparing against exactly these)."""
from __future__ import annotations

from generator.model import Function
from generator.model.naming import quote_ident, shorten


def trait_function(schema: str, prefix: str, kind: str, column: str) -> Function:
    """`kind` touch: keeps `column` at now(); version: optimistic locking on `column`."""
    q = quote_ident(column)
    if kind == "touch":
        body = f"\nBEGIN\n  NEW.{q} := now();\n  RETURN NEW;\nEND;\n"
        what = f"keeps {column} at the time of the last update"
    else:
        # The client sends the version it read (or leaves it out); a value other than the row's
        # current one means someone else updated the row meanwhile.
        body = (f"\nBEGIN\n  IF NEW.{q} IS DISTINCT FROM OLD.{q} THEN\n"
                f"    RAISE EXCEPTION 'stale {column} of %: the row is at {column} %, the update carries %',\n"
                f"      TG_TABLE_NAME, OLD.{q}, NEW.{q}\n"
                f"      USING ERRCODE = '40001', HINT = 'read the row again and retry the update';\n"
                f"  END IF;\n  NEW.{q} := OLD.{q} + 1;\n  RETURN NEW;\nEND;\n")
        what = (f"optimistic locking: rejects an update carrying a stale {column} (SQLSTATE 40001), "
                f"increments it otherwise")
    name = shorten(f"{prefix}{'set' if kind == 'touch' else 'bump'}_{column}")
    return Function(name=name, returns="trigger", body=body, schema=schema, language="plpgsql",
                    search_path="''", comment=f"Trigger function: {what}.")
