-- indexes.sql: indexes (plain and partitioned) with the constraint they back, their
-- parent partitioned index, and per position: the table column (0 = expression),
-- the column name stored in the index, and the table column's current name.
SELECT ic.oid::int8 AS oid,
       ic.relnamespace::int8 AS schema_oid,
       ic.relname::text AS name,
       ic.relkind::text AS relkind,
       i.indrelid::int8 AS table_oid,
       i.indisvalid AS valid,
       i.indnkeyatts::int4 AS key_count,
       coalesce(con.contype::text, '') AS constraint_type,
       coalesce(con.oid::int8, 0) AS constraint_oid,
       coalesce((SELECT inh.inhparent::int8 FROM pg_catalog.pg_inherits inh
                 WHERE inh.inhrelid = ic.oid LIMIT 1), 0) AS parent_oid,
       (SELECT array_agg(k.attnum::int4 ORDER BY k.pos)
        FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)) AS table_attnums,
       (SELECT array_agg(a.attname::text ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = ic.oid AND a.attnum > 0) AS stored_names,
       EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
               WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = ic.oid
                 AND d.deptype = 'e') AS from_extension
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
LEFT JOIN pg_catalog.pg_constraint con
  ON con.conindid = ic.oid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_';
