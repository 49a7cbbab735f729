-- constraints.sql: foreign keys, checks, NOT NULL (18) and domain constraints, with
-- the names of the columns they use (system columns included) in conkey order.
-- Primary key, unique and exclusion constraints come with their index (indexes.sql).
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
       CASE WHEN con.contype = 'f'
            THEN (SELECT array_agg(a.attname::text ORDER BY k.pos)
                  FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, pos)
                  JOIN pg_catalog.pg_attribute a
                    ON a.attrelid = con.confrelid AND a.attnum = k.attnum)
            ELSE '{}'::text[] END AS ref_column_names
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
LEFT JOIN pg_catalog.pg_type ty ON ty.oid = con.contypid
WHERE con.contype IN ('c', 'f', 'n')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_'
  AND (con.contypid = 0 OR NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_depend d
        WHERE d.classid = 'pg_catalog.pg_type'::regclass
          AND d.objid = con.contypid AND d.objsubid = 0 AND d.deptype = 'e'));
