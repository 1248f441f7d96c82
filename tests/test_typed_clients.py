"""Typed clients: the `typescript` target (Supabase's Database type) checked by tsc through
supabase-js's createClient<Database>() for every table of every example, with a usage file that
must fail to compile when it breaks a rule; the `pydantic` target imported and every example's
seed rows validated by the Insert models (and a bad row refused)."""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

from generator.pipeline import load_schema, render
from generator.targets.client_shapes import table_fields
from generator.targets.pydantic_models import field_name, module_name
from generator.targets.typescript import TS_TYPES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.stem for p in (ROOT / "spec").glob("*.yaml"))
ORM_DIR = ROOT / "tests" / "orm"
TSC_TIMEOUT = 900   # only stops a hung compiler


def files_of(name: str, target: str) -> dict:
    return render(load_schema(ROOT / "spec" / f"{name}.yaml"), [target])[0]


# -- TypeScript -------------------------------------------------------------------------------

def sample(schema, field) -> str:
    """A TypeScript literal of the column's type (enum: its first value)."""
    t = field.type
    if t.array_dims:
        return "[]"
    if t.enum:
        return json.dumps(schema.enum(t.base, t.schema or "public").values[0])
    return {"number": "1", "boolean": "true", "Json": "{}"}.get(TS_TYPES.get(t.base, "string"), '"x"')


def usage(schema) -> str:
    """Every public table read, inserted with exactly its required columns, and updated."""
    lines = ['import { createClient } from "@supabase/supabase-js";',
             'import type { Database, Tables, TablesInsert, TablesUpdate } from "./types/database";', "",
             'const db = createClient<Database>("http://localhost:54321", "anon-key");', "",
             "export async function useEveryTable(): Promise<number> {", "  let n = 0;"]
    for t in (t for t in schema.tables if t.schema == "public"):
        required = [f for f in table_fields(t) if not f.insert_optional]
        values = ", ".join(f"{json.dumps(f.name)}: {sample(schema, f)}" for f in required)
        name = json.dumps(t.name)
        lines += [f"  {{", f"    const insert: TablesInsert<{name}> = {{ {values} }};",
                  f"    const {{ data }} = await db.from({name}).insert(insert).select();",
                  f"    const rows: Tables<{name}>[] = data ?? [];",
                  f"    const change: TablesUpdate<{name}> = {{}};",
                  f"    await db.from({name}).update(change).eq({json.dumps(t.columns[0].name)}, "
                  f"rows[0]?.[{json.dumps(t.columns[0].name)}] as never);",
                  "    n += rows.length;", "  }"]
    return "\n".join(lines + ["  return n;", "}", ""])


def tsc(ws: Path, files: dict[str, str]) -> subprocess.CompletedProcess:
    for rel, text in files.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)
    (ws / "tsconfig.json").write_text(json.dumps({"compilerOptions": {
        "strict": True, "noEmit": True, "target": "ES2022", "module": "ESNext", "moduleResolution": "Bundler",
        "skipLibCheck": True, "lib": ["ES2022", "DOM"]}, "files": [r for r in files if r.endswith(".ts")]}))
    if not (ws / "node_modules").exists():
        (ws / "node_modules").symlink_to(ORM_DIR / "node_modules")
    return subprocess.run([str(ORM_DIR / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.json"], cwd=ws,
                          capture_output=True, text=True, timeout=TSC_TIMEOUT)


@pytest.fixture(scope="session")
def node_tools() -> Path:
    if not shutil.which("node"):
        pytest.fail("node is needed to type-check the generated TypeScript (hint: apt-get install nodejs npm)",
                    pytrace=False)
    if not (ORM_DIR / "node_modules" / "@supabase" / "supabase-js").is_dir():
        done = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", str(ORM_DIR)],
                              capture_output=True, text=True, timeout=TSC_TIMEOUT)
        assert done.returncode == 0, done.stderr
    return ORM_DIR / "node_modules"


def test_every_example_type_checks_through_supabase_js(node_tools, tmp_path):
    """One compilation for the four examples (tsc starts once: the suite stays lean)."""
    files = {}
    for name in EXAMPLES:
        schema = load_schema(ROOT / "spec" / f"{name}.yaml")
        files[f"{name}/types/database.ts"] = files_of(name, "typescript")["types/database.ts"]
        files[f"{name}/usage.ts"] = usage(schema)
    done = tsc(tmp_path, files)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("broken, expected", [
    # a value outside the enum
    ('const bad: TablesInsert<"chatapp_users"> = { email: "e", role: "pirate" };', '"pirate"'),
    # a required column left out
    ('const bad: TablesInsert<"chatapp_canned_responses"> = { company_id: "c", content: "c", shortcut: "s" };',
     "'title' is missing"),
    # a column that does not exist
    ('const bad: Tables<"chatapp_users">["nope"] = 1;', "nope"),
    # a nullable column read as if never null
    ('declare const row: Tables<"chatapp_users">; const bad: string = row.avatar_url;', "null"),
])
def test_tsc_refuses_code_that_breaks_the_types(node_tools, tmp_path, broken, expected):
    """Only the broken line (line 3) fails: the lines around it, the same types, compile."""
    text = files_of("chatapp", "typescript")["types/database.ts"]
    ok = 'import type { Tables, TablesInsert } from "./types/database";\nexport const fine: Tables<"chatapp_users">["email"] = "e";\n'
    done = tsc(tmp_path, {"types/database.ts": text, "usage.ts": ok + broken + "\nvoid bad;\n"})
    errors = [line for line in done.stdout.splitlines() if ": error TS" in line]
    assert done.returncode != 0 and expected in done.stdout, done.stdout
    assert errors and all(line.startswith("usage.ts(3,") for line in errors), done.stdout


def test_the_shape_is_supabases():
    text = files_of("chatapp", "typescript")["types/database.ts"]
    for needle in ["export type Database = {", "    Tables: {", "        Row: {", "        Insert: {",
                   "        Update: {", "        Relationships: [", "    Views: {", "    Functions: {",
                   "    Enums: {", "    CompositeTypes: {", 'user_role: "master_admin" | "company_admin" | "support_agent"',
                   "export const Constants = {", 'referencedRelation: "chatapp_companies"']:
        assert needle in text, needle
    ai = files_of("ai_chat", "typescript")["types/database.ts"]
    # a view's columns traced through its aliases and aggregates (views are nullable, as PostgREST says)
    assert ("conversation_overview: {\n        Row: {\n          id: string | null\n          is_archived: boolean | null\n"
            "          last_message_at: string | null\n          message_count: number | null\n") in ai
    assert "owns_conversation: {\n        Args: {\n          conversation: string\n        }\n        Returns: boolean" in ai


# -- pydantic ---------------------------------------------------------------------------------

def load_module(name: str, tmp_path: Path):
    (rel, text), = files_of(name, "pydantic").items()
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(module_name(name), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", EXAMPLES)
def test_pydantic_insert_models_validate_every_seed_row(name, tmp_path):
    module = load_module(name, tmp_path)
    schema = load_schema(ROOT / "spec" / f"{name}.yaml")
    checked, outside = 0, []
    for seed in schema.seeds:
        qname = seed.table if seed.schema == "public" else f"{seed.schema}.{seed.table}"
        if schema.table(seed.table, seed.schema) is None:
            outside.append(qname)         # a table the spec does not own (auth.users on Supabase)
            continue
        row_model, insert_model, update_model = module.TABLES[qname]
        for row in seed.rows:
            data = {field_name(k) if field_name(k) != k else k: v for k, v in row}
            insert_model.model_validate(data)
            update_model.model_validate(data)
            checked += 1
    assert checked > 0
    assert all(q.startswith("auth.") for q in outside), outside


def test_pydantic_models_refuse_what_the_database_would(tmp_path):
    m = load_module("chatapp", tmp_path)
    row = {"company_id": "00000000-0000-4000-8000-000000000001", "email": "a@b.c", "name": "A"}   # role has a default
    user = m.UserInsert.model_validate(row)
    assert user.role is None and "role" not in user.model_dump(exclude_unset=True)
    for bad in ({**row, "role": "pirate"}, {k: v for k, v in row.items() if k != "email"},
                {**row, "company_id": "not-a-uuid"}, {**row, "nope": 1}, {**row, "email": None}):
        with pytest.raises(pydantic.ValidationError):
            m.UserInsert.model_validate(bad)
    assert m.UserUpdate.model_validate({}).model_dump(exclude_unset=True) == {}
    full = m.UserRow.model_fields
    assert set(full) == {f.name for f in table_fields(load_schema(ROOT / "spec" / "chatapp.yaml")
                                                      .table("chatapp_users"))}


def test_committed_models_import_in_a_fresh_interpreter():
    """The committed out/<name>/models/*.py import on their own (no gen on the path)."""
    for name in EXAMPLES:
        path = ROOT / "out" / name / "models" / f"{module_name(name)}.py"
        done = subprocess.run([sys.executable, "-c", f"import runpy; m = runpy.run_path({str(path)!r}); "
                               "print(len(m['TABLES']))"], capture_output=True, text=True, env={"PATH": "/usr/bin"})
        assert done.returncode == 0 and int(done.stdout) > 0, done.stderr
