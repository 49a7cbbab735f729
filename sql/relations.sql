-- relations.sql: tables, partitioned tables, foreign tables and materialized views
-- in non-system schemas, with their inheritance parents and current column names.
SELECT c.oid::int8 AS oid,
       c.relnamespace::int8 AS schema_oid,
       c.relname::text AS name,
       c.relkind::text AS relkind,
       c.relispartition AS is_partition,
       coalesce((SELECT array_agg(i.inhparent::int8 ORDER BY i.inhseqno)
                 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid),
                '{}') AS parents,
       coalesce(cols.attnums, '{}') AS attnums,
       coalesce(cols.names, '{}') AS columns,
       ext.objid IS NOT NULL AS from_extension
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
  SELECT array_agg(a.attnum::int4 ORDER BY a.attnum) AS attnums,
         array_agg(a.attname::text ORDER BY a.attnum) AS names
  FROM pg_catalog.pg_attribute a
  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) cols ON true
LEFT JOIN pg_catalog.pg_depend ext
  ON ext.classid = 'pg_catalog.pg_class'::regclass AND ext.objid = c.oid
 AND ext.objsubid = 0 AND ext.deptype = 'e'
WHERE c.relkind IN ('r', 'p', 'f', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_';
