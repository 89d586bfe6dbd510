-- Progress counts of large tasks (20,000 students): linked bindings and roster entries per
-- task are counted from indexes instead of scanning the tables.
CREATE INDEX bindings_task_status ON bindings (task_id, status);
CREATE INDEX roster_task_manual_status ON roster_entries (task_id, manual_status);
