-- constraints.sql: foreign keys, checks, NOT NULL (18) and domain constraints, with
-- the names of the columns they use (system columns included) in conkey order.
-- Primary key, unique and exclusion constraints come with their index (indexes.sql).
-- A single-column key (nearly all) costs one pg_attribute index lookup; the
-- extension test is one hashed subquery over pg_depend's extension members.
SELECT con.oid::int8 AS oid,
       con.connamespace::int8 AS schema_oid,
       con.conname::text AS name,
       con.contype::text AS contype,
       con.conrelid::int8 AS table_oid,
       con.contypid::int8 AS domain_oid,
       coalesce(ty.typname::text, '') AS domain_name,
       coalesce(con.conkey::int4[], '{}') AS attnums,
       CASE WHEN con.conrelid = 0 THEN '{}'::text[]
            WHEN cardinality(con.conkey) = 1
            THEN ARRAY[(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = con.conrelid AND a.attnum = con.conkey[1])]
            ELSE coalesce((SELECT array_agg(a.attname::text ORDER BY k.pos)
                 FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, pos)
                 JOIN pg_catalog.pg_attribute a
                   ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
                '{}') END AS column_names,
       con.conislocal AS is_local,
       con.coninhcount::int4 AS inherit_count,
       con.conparentid::int8 AS parent_oid,
       con.confrelid::int8 AS references_oid,
       CASE WHEN con.contype <> 'f' THEN '{}'::text[]
            WHEN cardinality(con.confkey) = 1
            THEN (SELECT ARRAY[a.attname::text] FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = con.confrelid AND a.attnum = con.confkey[1])
            ELSE (SELECT array_agg(a.attname::text ORDER BY k.pos)
                  FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, pos)
                  JOIN pg_catalog.pg_attribute a
                    ON a.attrelid = con.confrelid AND a.attnum = k.attnum) END
         AS ref_column_names
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
LEFT JOIN pg_catalog.pg_type ty ON ty.oid = con.contypid
WHERE con.contype IN ('c', 'f', 'n')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_'
  AND (con.contypid = 0 OR con.contypid NOT IN (
        SELECT d.objid FROM pg_catalog.pg_depend d
        WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass
          AND d.classid = 'pg_catalog.pg_type'::regclass
          AND d.objsubid = 0 AND d.deptype = 'e'));
