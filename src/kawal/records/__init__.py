"""Records (§6): the retention table, disposal with its log and legal holds, the audit evidence pack."""
