-- seqcheck: rename scripts for 3 databases, one section each; run each section on its own database, never this file as a whole

-- ==== we"ird, 100%: d\nb 😀 on /tmp port 5432 ====
-- seqcheck: 10 renames in one transaction; run with psql -1 -f FILE
SET client_encoding = 'UTF8';
BEGIN;
SET LOCAL lock_timeout = '2s';

-- index 'éééééééééééééééééééééééééééé_ab_idx' should be 'üüüüüüüüüüüüüüüüüüüüüüüüüüüü_cd_idx' (table and column renamed)
ALTER INDEX "we""ird sch:ema"."éééééééééééééééééééééééééééé_ab_idx" RENAME TO "üüüüüüüüüüüüüüüüüüüüüüüüüüüü_cd_idx";

-- pkey 'Mara\nthon_pkey' should be 'Snick ers, 100%_pkey' (table renamed)
ALTER INDEX "we""ird sch:ema"."Mara
thon_pkey" RENAME TO "Snick ers, 100%_pkey";

-- sequence '😀 marathon_id_seq' should be '😀 snickers_id_seq' (table renamed)
ALTER SEQUENCE "we""ird sch:ema"."😀 marathon_id_seq" RENAME TO "😀 snickers_id_seq";

-- domain 'weight_check' should be 'mass_check' (not the default name)
ALTER DOMAIN "we""ird sch:ema"."ma:ss" RENAME CONSTRAINT "weight_check" TO "mass_check";

-- check '\x1b[31mred_check' should be 't_check' (not the default name)
ALTER TABLE "we""ird sch:ema"."t" RENAME CONSTRAINT "[31mred_check" TO "t_check";

-- fkey 't_a--b */ \\x_fkey' should be 't_ab_fkey' (column renamed)
ALTER TABLE "we""ird sch:ema"."t" RENAME CONSTRAINT "t_a--b */ \x_fkey" TO "t_ab_fkey";

-- pkey 'b_pkey' should be 'a_pkey' (table renamed) [to temporary name]
ALTER INDEX "public"."b_pkey" RENAME TO "b_pkey_seqcheck_tmp";

-- pkey 'a_pkey' should be 'b_pkey' (table renamed)
ALTER INDEX "public"."a_pkey" RENAME TO "b_pkey";

-- pkey 'b_pkey' should be 'a_pkey' (table renamed) [from temporary name]
ALTER INDEX "public"."b_pkey_seqcheck_tmp" RENAME TO "a_pkey";

-- index éééééééééééééééééééééééééééé_ab_idx still stores column name 'we"ight\ncol'; the table column is now 'mass, 100%'
ALTER TABLE "we""ird sch:ema"."üüüüüüüüüüüüüüüüüüüüüüüüüüüü_cd_idx" RENAME COLUMN "we""ight
col" TO "mass, 100%";

COMMIT;

-- ==== clean on db.example port 5432 ====
-- seqcheck: nothing to rename

-- ==== gone on db.example port 1 ====
-- not scanned: could not connect to db.example port 1: connection refused (is it up?)
