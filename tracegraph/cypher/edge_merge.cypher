// Upsert {{type}} edges from {{src_label}} to {{dst_label}}: both ends are matched on their constrained
// keys (a unique-index seek), the edge is merged on its identity fields and its other fields replaced.
UNWIND $rows AS row
MATCH (a:{{src_label}}) WHERE a.{{src_key}} = row.src
MATCH (b:{{dst_label}}) WHERE b.{{dst_key}} = row.dst
MERGE (a)-[r:{{type}}{{identity}}]->(b)
SET r += row.props
RETURN count(r) AS written
