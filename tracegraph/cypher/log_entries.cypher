// Entries of log $log from sequence number $start on, in order, one page at a time.
MATCH (e:{{entry_label}}) WHERE e.log = $log AND e.seq >= $start
RETURN e.seq AS seq, e.body AS body ORDER BY seq LIMIT $page
