// The last entry of log $log (no row while it is empty), where log_entries ends whatever the head's
// counter says (a trail cut short from outside). A predicate on both keys lets the (log, seq)
// constraint's index serve it, read backwards, not a scan of every entry.
MATCH (e:{{entry_label}}) WHERE e.log = $log AND e.seq IS NOT NULL
RETURN e.seq AS seq, e.body AS body ORDER BY seq DESC LIMIT 1
