// Documents of one collection kept beside the graph (e.g. API keys): all of them, or those with $keys.
MATCH (d:{{label}}) WHERE d.collection = $collection AND ($keys IS NULL OR d.key IN $keys)
RETURN d.key AS key, d.body AS body ORDER BY key
