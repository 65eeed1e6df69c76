// Upsert {{label}} records: MERGE on the constrained key, then replace every other field
// (a null removes the property), so a retried or repeated batch changes nothing.
UNWIND $rows AS row
MERGE (n:{{label}} { {{key}}: row.key })
SET n += row.props
RETURN count(n) AS written
