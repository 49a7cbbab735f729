-- indexes.sql: indexes (plain and partitioned) with the constraint they back, their
-- parent partitioned index, and per position the table column (0 = expression)
-- and the column name stored in the index itself.
SELECT ic.oid::int8 AS oid,
       ic.relnamespace::int8 AS schema_oid,
       ic.relname::text AS name,
       ic.relkind::text AS relkind,
       i.indrelid::int8 AS table_oid,
       i.indisvalid AS valid,
       i.indnkeyatts::int4 AS key_count,
       coalesce(con.contype::text, '') AS constraint_type,
       coalesce(con.oid::int8, 0) AS constraint_oid,
       coalesce(inh.inhparent::int8, 0) AS parent_oid,
       i.indkey::int2[] AS table_attnums,
       (SELECT array_agg(a.attname::text ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = ic.oid AND a.attnum > 0) AS stored_names,
       ext.objid IS NOT NULL AS from_extension
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhrelid = ic.oid
LEFT JOIN pg_catalog.pg_constraint con
  ON con.conindid = ic.oid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
LEFT JOIN pg_catalog.pg_depend ext
  ON ext.classid = 'pg_catalog.pg_class'::regclass AND ext.objid = ic.oid
 AND ext.objsubid = 0 AND ext.deptype = 'e'
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_';
