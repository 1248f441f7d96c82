// Parse Mermaid files with Mermaid's own parser (every pinned version in package.json) and
// print what each parsed into as JSON: {version: {file: {ok, error, type, entities, relationships}}}.
// Usage: node parse-mermaid.mjs FILE...   Exit status 1 when any file fails to parse.
import { readFileSync } from 'node:fs';

const VERSIONS = { '11': 'mermaid', '10': 'mermaid-v10' };

function entitiesOf(db) {
  const raw = db.getEntities ? db.getEntities() : {};
  const pairs = raw instanceof Map ? [...raw.entries()] : Object.entries(raw);
  return pairs.map(([name, e]) => ({
    name,
    id: e.id ?? name,
    alias: e.alias ?? '',
    attributes: (e.attributes ?? []).map((a) => ({
      type: a.type ?? a.attributeType,
      name: a.name ?? a.attributeName,
      keys: a.keys ?? a.attributeKeyTypeList ?? [],
      comment: a.comment ?? a.attributeComment ?? '',
    })),
  }));
}

function relationshipsOf(db, entities) {
  const byId = new Map(entities.map((e) => [e.id, e.name]));
  const rels = db.getRelationships ? db.getRelationships() : [];
  return rels.map((r) => ({
    from: byId.get(r.entityA) ?? r.entityA,
    to: byId.get(r.entityB) ?? r.entityB,
    label: r.roleA,
    cardA: r.relSpec.cardA,
    cardB: r.relSpec.cardB,
    relType: r.relSpec.relType,
  }));
}

async function parseWith(mermaid, text) {
  try {
    await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const entities = diagram.type === 'er' ? entitiesOf(diagram.db) : [];
    return { ok: true, type: diagram.type, entities, relationships: diagram.type === 'er' ? relationshipsOf(diagram.db, entities) : [] };
  } catch (err) {
    return { ok: false, error: String(err && err.message ? err.message : err) };
  }
}

const files = process.argv.slice(2);
const out = {};
let failed = false;
for (const [version, pkg] of Object.entries(VERSIONS)) {
  const mermaid = (await import(pkg)).default;
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
  out[version] = {};
  for (const file of files) {
    const result = await parseWith(mermaid, readFileSync(file, 'utf8'));
    failed ||= !result.ok;
    out[version][file] = result;
  }
}
process.stdout.write(JSON.stringify(out, null, 1));
process.exitCode = failed ? 1 : 0;
