// {{type}}.{{field}} is looked up by find_edges(); a relationship range index keeps that a seek.
CREATE INDEX {{name}} IF NOT EXISTS FOR ()-[r:{{type}}]-() ON (r.{{field}})
