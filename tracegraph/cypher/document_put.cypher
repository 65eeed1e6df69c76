// Create or replace one document (its JSON text), merged on the (collection, key) constraint.
MERGE (d:{{label}} {collection: $collection, key: $key})
SET d.body = $body
