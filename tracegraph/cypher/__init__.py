"""Cypher text for the Neo4j backend, kept as files and generated from the data dictionary."""
