// Write one log entry (its JSON text); entries are never changed once written.
CREATE (e:{{entry_label}} {log: $log, seq: $seq, body: $body})
