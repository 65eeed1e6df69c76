// Keys of {{label}} records whose {{field}} is one of the values.
MATCH (n:{{label}}) WHERE n.{{field}} IN $values
RETURN n.{{key}} AS key
