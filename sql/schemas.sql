-- schemas.sql: every non-system schema, and whether this role has USAGE on it.
SELECT n.oid::int8 AS oid,
       n.nspname::text AS name,
       has_schema_privilege(n.oid, 'USAGE') AS usable
FROM pg_catalog.pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_'
ORDER BY n.nspname;
