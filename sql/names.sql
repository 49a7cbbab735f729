-- names.sql: every name a new default name must avoid, per schema and namespace:
-- relations, constraints (tables and domains), statistics, and
-- types that are not row types.
WITH ns AS (
  SELECT n.oid FROM pg_catalog.pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname !~ '^pg_(toast_)?temp_'
), taken AS (
  SELECT c.relnamespace AS schema_oid, 'relation'::text AS space, c.relname AS name
  FROM pg_catalog.pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT con.connamespace, 'constraint'::text, con.conname
  FROM pg_catalog.pg_constraint con WHERE con.connamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT s.stxnamespace, 'statistics'::text, s.stxname
  FROM pg_catalog.pg_statistic_ext s WHERE s.stxnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT t.typnamespace, 'type'::text, t.typname
  FROM pg_catalog.pg_type t
  WHERE t.typrelid = 0 AND t.typnamespace IN (SELECT oid FROM ns)
)
SELECT schema_oid::int8 AS schema_oid, space, array_agg(name::text) AS names
FROM taken
GROUP BY schema_oid, space;
