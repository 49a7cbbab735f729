-- text_references.sql: texts that may name a sequence, index or constraint by name
-- (NAMING.md 5.3), looked up at run time and so broken by a rename:
--   'default': column defaults that cast text to regclass at run time (a call of
--     regclass(text) in the stored expression), as nextval('x'::text) does
--     (shown as nextval(('x'::text)::regclass)); nextval('x') stores the OID
--     and is safe, so it is not listed;
--   'function': source bodies of functions and procedures (prosrc) that are not
--     internal, C or SQL-standard (BEGIN ATOMIC holds OIDs), nor extension members.
-- seqcheck looks for the names it renames in these texts itself.
SELECT 'default'::text AS kind,
       n.nspname::text AS schema,
       c.relname::text AS owner,
       a.attname::text AS detail,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS text
FROM pg_catalog.pg_attrdef d
JOIN pg_catalog.pg_class c ON c.oid = d.adrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE pg_catalog.strpos(d.adbin::text, ':funcid '
        || 'pg_catalog.regclass(text)'::pg_catalog.regprocedure::oid::text || ' ') > 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname !~ '^pg_(toast_)?temp_'
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
       n.nspname::text,
       p.proname::text || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid)
         || ')',
       l.lanname::text,
       p.prosrc
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE l.lanname NOT IN ('internal', 'c')
  AND p.prosrc <> ''
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast_)?temp_'
  AND NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_depend e
        WHERE e.classid = 'pg_catalog.pg_proc'::regclass AND e.objid = p.oid
          AND e.deptype = 'e');
