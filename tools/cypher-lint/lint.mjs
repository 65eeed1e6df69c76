// Lints Cypher statements with Neo4j's own linter (@neo4j-cypher/language-support), offline.
//
// stdin:  {"schema": {"labels": [...], "relationshipTypes": [...], "propertyKeys": [...]},
//          "statements": [{"id": "...", "text": "...", "params": ["keys", ...]}]}
// stdout: [{"id": "...", "diagnostics": [{"severity": 1, "message": "...", "line": 0, "column": 4}]}]
// Each statement is linted against the schema plus its own parameters, so an undeclared label,
// relationship type, property key or parameter is reported. Functions and procedures are Neo4j's
// built-in ones (APOC is not assumed on the server).
import { lintCypherQuery, testData } from '@neo4j-cypher/language-support';

function builtIns(registry) {
  const out = {};
  for (const [version, entries] of Object.entries(registry ?? {})) {
    out[version] = Object.fromEntries(
      Object.entries(entries).filter(([name]) => !name.startsWith('apoc.')));
  }
  return out;
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const functions = builtIns(testData.mockSchema.functions);
const procedures = builtIns(testData.mockSchema.procedures);

const results = input.statements.map(({ id, text, params }) => {
  const dbSchema = {
    ...input.schema,
    functions,
    procedures,
    parameters: Object.fromEntries(params.map((name) => [name, null])),
  };
  const { diagnostics } = lintCypherQuery(text, dbSchema);
  return {
    id,
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      message: d.message,
      line: d.range.start.line,
      column: d.range.start.character,
    })),
  };
});
process.stdout.write(JSON.stringify(results));
