// The keys of one collection's documents, without their bodies (e.g. which records are on recall hold).
MATCH (d:{{label}}) WHERE d.collection = $collection
RETURN d.key AS key ORDER BY key
