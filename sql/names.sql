-- names.sql: every name a new default name must avoid, per schema (NAMING.md §3.2):
-- relations, constraints (tables and domains), statistics, and non-row types.
WITH ns AS (
  SELECT n.oid FROM pg_catalog.pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname !~ '^pg_(toast_)?temp_'
)
SELECT c.relnamespace::int8 AS schema_oid, 'relation' AS space, c.relname::text AS name
FROM pg_catalog.pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns)
UNION ALL
SELECT con.connamespace::int8, 'constraint', con.conname::text
FROM pg_catalog.pg_constraint con WHERE con.connamespace IN (SELECT oid FROM ns)
UNION ALL
SELECT s.stxnamespace::int8, 'statistics', s.stxname::text
FROM pg_catalog.pg_statistic_ext s WHERE s.stxnamespace IN (SELECT oid FROM ns)
UNION ALL
SELECT t.typnamespace::int8, 'type', t.typname::text
FROM pg_catalog.pg_type t WHERE t.typrelid = 0 AND t.typnamespace IN (SELECT oid FROM ns);
