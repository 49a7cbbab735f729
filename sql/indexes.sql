-- indexes.sql: indexes (plain and partitioned) with the constraint they back, their
-- parent partitioned index, and per position the table column (0 = expression)
-- and the column name stored in the index itself.
-- One pg_attribute index lookup per index (nearly all have one column); the
-- extension test is one hashed subquery over pg_depend's extension members.
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
       CASE WHEN i.indnatts = 1
            THEN (SELECT ARRAY[a.attname::text] FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = ic.oid AND a.attnum = 1)
            ELSE (SELECT array_agg(a.attname::text ORDER BY a.attnum)
                  FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = ic.oid AND a.attnum > 0) END AS stored_names,
       ic.oid IN (SELECT d.objid FROM pg_catalog.pg_depend d
                  WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass
                    AND d.classid = 'pg_catalog.pg_class'::regclass
                    AND d.objsubid = 0 AND d.deptype = 'e') AS from_extension
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhrelid = ic.oid
LEFT JOIN pg_catalog.pg_constraint con
  ON con.conindid = ic.oid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
WHERE ic.relkind IN ('i', 'I')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_';
