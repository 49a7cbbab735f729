-- relations.sql: tables, partitioned tables, foreign tables and materialized views
-- in non-system schemas, with their inheritance parents and current column names.
-- pg_inherits is aggregated once; the extension test is one hashed subquery over
-- pg_depend's extension members (extension membership always references pg_extension).
SELECT c.oid::int8 AS oid,
       c.relnamespace::int8 AS schema_oid,
       c.relname::text AS name,
       c.relkind::text AS relkind,
       c.relispartition AS is_partition,
       coalesce(par.parents, '{}') AS parents,
       coalesce(cols.attnums, '{}') AS attnums,
       coalesce(cols.names, '{}') AS columns,
       c.oid IN (SELECT d.objid FROM pg_catalog.pg_depend d
                 WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass
                   AND d.classid = 'pg_catalog.pg_class'::regclass
                   AND d.objsubid = 0 AND d.deptype = 'e') AS from_extension
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN (
  SELECT i.inhrelid, array_agg(i.inhparent::int8 ORDER BY i.inhseqno) AS parents
  FROM pg_catalog.pg_inherits i
  GROUP BY i.inhrelid) par ON par.inhrelid = c.oid
LEFT JOIN LATERAL (
  SELECT array_agg(a.attnum::int4 ORDER BY a.attnum) AS attnums,
         array_agg(a.attname::text ORDER BY a.attnum) AS names
  FROM pg_catalog.pg_attribute a
  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) cols ON true
WHERE c.relkind IN ('r', 'p', 'f', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_';
