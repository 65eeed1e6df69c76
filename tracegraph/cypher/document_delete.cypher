// Delete one document.
MATCH (d:{{label}}) WHERE d.collection = $collection AND d.key = $key
DELETE d
