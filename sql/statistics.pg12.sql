-- statistics.pg12.sql: extended statistics objects on 12 and 13 (no expressions),
-- columns in attnum order.
SELECT s.oid::int8 AS oid,
       s.stxnamespace::int8 AS schema_oid,
       s.stxname::text AS name,
       s.stxrelid::int8 AS table_oid,
       coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum)
                 FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = s.stxrelid AND a.attnum = ANY (s.stxkeys::int2[])),
                '{}') AS column_names,
       0 AS expression_count
FROM pg_catalog.pg_statistic_ext s
JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_';
