"""Rename drifted names (seqcheck 0.1.0).

Written by seqcheck 0.1.0 (seqcheck fix --format alembic): 10 renames of sequences,
indexes, constraints and statistics whose names still carry old table or column names.
upgrade() gives them the names PostgreSQL would give a fresh CREATE of the schema today;
downgrade() renames them back. Both run in Alembic's transaction, with SET LOCAL
lock_timeout = '2s'. Nothing is dropped, created or rewritten.

Revision ID: 0b3aa3863cce
Revises:
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0b3aa3863cce"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Rename to the names PostgreSQL would give today."""
    op.execute("SET LOCAL lock_timeout = '2s'")
    # index 'éééééééééééééééééééééééééééé_ab_idx' should be
    # 'üüüüüüüüüüüüüüüüüüüüüüüüüüüü_cd_idx' (table and column renamed)
    op.execute(
        'ALTER INDEX "we""ird sch\\:ema"."éééééééééééééééééééééééééééé_ab_idx" RENAME '
        'TO "üüüüüüüüüüüüüüüüüüüüüüüüüüüü_cd_idx"'
    )
    # pkey 'Mara\nthon_pkey' should be 'Snick ers, 100%_pkey' (table renamed)
    op.execute(
        'ALTER INDEX "we""ird sch\\:ema"."Mara\nthon_pkey" RENAME TO '
        '"Snick ers, 100%_pkey"'
    )
    # sequence '😀 marathon_id_seq' should be '😀 snickers_id_seq' (table renamed)
    op.execute(
        'ALTER SEQUENCE "we""ird sch\\:ema"."😀 marathon_id_seq" RENAME TO '
        '"😀 snickers_id_seq"'
    )
    # domain 'weight_check' should be 'mass_check' (not the default name)
    op.execute(
        'ALTER DOMAIN "we""ird sch\\:ema"."ma\\:ss" RENAME CONSTRAINT "weight_check" '
        'TO "mass_check"'
    )
    # check '\x1b[31mred_check' should be 't_check' (not the default name)
    op.execute(
        'ALTER TABLE "we""ird sch\\:ema"."t" RENAME CONSTRAINT "\x1b[31mred_check" TO '
        '"t_check"'
    )
    # fkey 't_a--b */ \\x_fkey' should be 't_ab_fkey' (column renamed)
    op.execute(
        'ALTER TABLE "we""ird sch\\:ema"."t" RENAME CONSTRAINT "t_a--b */ \\x_fkey" TO '
        '"t_ab_fkey"'
    )
    # pkey 'b_pkey' should be 'a_pkey' (table renamed) [to temporary name]
    op.execute('ALTER INDEX "public"."b_pkey" RENAME TO "b_pkey_seqcheck_tmp"')
    # pkey 'a_pkey' should be 'b_pkey' (table renamed)
    op.execute('ALTER INDEX "public"."a_pkey" RENAME TO "b_pkey"')
    # pkey 'b_pkey' should be 'a_pkey' (table renamed) [from temporary name]
    op.execute('ALTER INDEX "public"."b_pkey_seqcheck_tmp" RENAME TO "a_pkey"')
    # index éééééééééééééééééééééééééééé_ab_idx still stores column name 'we"ight\ncol';
    # the table column is now 'mass, 100%'
    op.execute(
        'ALTER TABLE "we""ird sch\\:ema"."üüüüüüüüüüüüüüüüüüüüüüüüüüüü_cd_idx" RENAME '
        'COLUMN "we""ight\ncol" TO "mass, 100%"'
    )


def downgrade() -> None:
    """Rename back to the names before upgrade()."""
    op.execute("SET LOCAL lock_timeout = '2s'")
    # undo: index éééééééééééééééééééééééééééé_ab_idx column 'mass, 100%' back to
    # 'we"ight\ncol'
    op.execute(
        'ALTER TABLE "we""ird sch\\:ema"."üüüüüüüüüüüüüüüüüüüüüüüüüüüü_cd_idx" RENAME '
        'COLUMN "mass, 100%" TO "we""ight\ncol"'
    )
    # undo: pkey 'a_pkey' back to 'b_pkey' [to temporary name]
    op.execute('ALTER INDEX "public"."a_pkey" RENAME TO "b_pkey_seqcheck_tmp"')
    # undo: pkey 'b_pkey' back to 'a_pkey'
    op.execute('ALTER INDEX "public"."b_pkey" RENAME TO "a_pkey"')
    # undo: pkey 'a_pkey' back to 'b_pkey' [from temporary name]
    op.execute('ALTER INDEX "public"."b_pkey_seqcheck_tmp" RENAME TO "b_pkey"')
    # undo: fkey 't_ab_fkey' back to 't_a--b */ \\x_fkey'
    op.execute(
        'ALTER TABLE "we""ird sch\\:ema"."t" RENAME CONSTRAINT "t_ab_fkey" TO '
        '"t_a--b */ \\x_fkey"'
    )
    # undo: check 't_check' back to '\x1b[31mred_check'
    op.execute(
        'ALTER TABLE "we""ird sch\\:ema"."t" RENAME CONSTRAINT "t_check" TO '
        '"\x1b[31mred_check"'
    )
    # undo: domain 'mass_check' back to 'weight_check'
    op.execute(
        'ALTER DOMAIN "we""ird sch\\:ema"."ma\\:ss" RENAME CONSTRAINT "mass_check" TO '
        '"weight_check"'
    )
    # undo: sequence '😀 snickers_id_seq' back to '😀 marathon_id_seq'
    op.execute(
        'ALTER SEQUENCE "we""ird sch\\:ema"."😀 snickers_id_seq" RENAME TO '
        '"😀 marathon_id_seq"'
    )
    # undo: pkey 'Snick ers, 100%_pkey' back to 'Mara\nthon_pkey'
    op.execute(
        'ALTER INDEX "we""ird sch\\:ema"."Snick ers, 100%_pkey" RENAME TO '
        '"Mara\nthon_pkey"'
    )
    # undo: index 'üüüüüüüüüüüüüüüüüüüüüüüüüüüü_cd_idx' back to
    # 'éééééééééééééééééééééééééééé_ab_idx'
    op.execute(
        'ALTER INDEX "we""ird sch\\:ema"."üüüüüüüüüüüüüüüüüüüüüüüüüüüü_cd_idx" RENAME '
        'TO "éééééééééééééééééééééééééééé_ab_idx"'
    )
