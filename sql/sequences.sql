-- sequences.sql: sequences owned by a table column (serial, OWNED BY: deptype 'a';
-- identity: deptype 'i'), with the owning column's current name. The extension test
-- is one hashed subquery over pg_depend's extension members.
SELECT s.oid::int8 AS oid,
       s.relnamespace::int8 AS schema_oid,
       s.relname::text AS name,
       d.refobjid::int8 AS table_oid,
       d.refobjsubid::int4 AS attnum,
       a.attname::text AS column_name,
       d.deptype::text AS deptype,
       s.oid IN (SELECT e.objid FROM pg_catalog.pg_depend e
                 WHERE e.refclassid = 'pg_catalog.pg_extension'::regclass
                   AND e.classid = 'pg_catalog.pg_class'::regclass
                   AND e.deptype = 'e') AS from_extension
FROM pg_catalog.pg_class s
JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace
JOIN pg_catalog.pg_depend d
  ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = s.oid
 AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjsubid > 0
 AND d.deptype IN ('a', 'i')
JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE s.relkind = 'S'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_';
