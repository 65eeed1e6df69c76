// {{type}} edges whose {{field}} is one of $values (a relationship-index seek), with both ends as [kind, key].
MATCH (a)-[r:{{type}}]->(b) WHERE r.{{field}} IN $values
RETURN {{src}} AS src, {{dst}} AS dst, r {.*} AS props
