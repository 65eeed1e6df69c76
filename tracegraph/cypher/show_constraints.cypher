// The constraints in force, to check that the key constraints exist before writing.
SHOW CONSTRAINTS YIELD labelsOrTypes, properties
RETURN labelsOrTypes AS labels, properties
