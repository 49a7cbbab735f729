-- names.sql: every name a new default name must avoid, per schema and namespace:
-- relations, constraints (tables and domains), statistics, and
-- types that are not row types. Names come in no particular order.
-- Each catalog is grouped by its own namespace column (few groups: hashed).
WITH ns AS (
  SELECT n.oid FROM pg_catalog.pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname !~ '^pg_(toast_)?temp_'
)
SELECT c.relnamespace::int8 AS schema_oid, 'relation'::text AS space,
       array_agg(c.relname::text) AS names
FROM pg_catalog.pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns)
GROUP BY c.relnamespace
UNION ALL
SELECT con.connamespace::int8, 'constraint'::text, array_agg(con.conname::text)
FROM pg_catalog.pg_constraint con WHERE con.connamespace IN (SELECT oid FROM ns)
GROUP BY con.connamespace
UNION ALL
SELECT s.stxnamespace::int8, 'statistics'::text, array_agg(s.stxname::text)
FROM pg_catalog.pg_statistic_ext s WHERE s.stxnamespace IN (SELECT oid FROM ns)
GROUP BY s.stxnamespace
UNION ALL
SELECT t.typnamespace::int8, 'type'::text, array_agg(t.typname::text)
FROM pg_catalog.pg_type t
WHERE t.typrelid = 0 AND t.typnamespace IN (SELECT oid FROM ns)
GROUP BY t.typnamespace;
