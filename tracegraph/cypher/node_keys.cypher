// One page of {{label}} keys after $after, in key order (keyset paging on the unique index).
MATCH (n:{{label}}) WHERE n.{{key}} > $after
RETURN n.{{key}} AS key ORDER BY key LIMIT $page
