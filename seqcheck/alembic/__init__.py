"""seqcheck for Alembic: autogenerate that sees table and column renames.

Stage: an Alembic plugin (the ``seqcheck[alembic]`` extra). Enable it in
``env.py``::

    context.configure(
        ...,
        autogenerate_plugins=["alembic.autogenerate.*", "seqcheck"],
    )

or, with an Alembic that has no plugins, through the hook::

    from seqcheck.alembic.plugin import process_revision_directives

    context.configure(..., process_revision_directives=process_revision_directives)

Importing this package imports neither Alembic nor SQLAlchemy; its modules do.
"""
