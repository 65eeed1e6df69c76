// The records of {{label}} with these keys, as property maps.
MATCH (n:{{label}}) WHERE n.{{key}} IN $keys
RETURN n {.*} AS props
