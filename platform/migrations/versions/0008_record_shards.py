"""record shards on record blocks and data keys

Adds ``shard`` to ``record_blocks`` and ``citizen_keys``: the citizen's record
shard, a keyed hash of their id (``civicdata.vault.record_shards``), so that a
release's shard task reads exactly the blocks and keys of its citizens. The
shard cannot be derived without the blind-index key, so existing rows are
backfilled with it: ``civic db upgrade`` (and ``civic init``) hand the key to
this revision; run elsewhere on a database holding rows, it stops and says so.

Revision ID: 0008_record_shards
Revises: 0007_public_releases
"""

import sqlalchemy as sa
from alembic import context, op

from civicdata.vault.record_shards import record_shard

revision = "0008_record_shards"
down_revision = "0007_public_releases"
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    for table in ("record_blocks", "citizen_keys"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("shard", sa.Integer(), nullable=True))
    _backfill()
    with op.batch_alter_table("record_blocks", schema=None) as batch_op:
        batch_op.alter_column("shard", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            "ix_record_blocks_dataset_shard_bucket", ["dataset", "shard", "bucket"], unique=False
        )
    with op.batch_alter_table("citizen_keys", schema=None) as batch_op:
        batch_op.alter_column("shard", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_citizen_keys_shard"), ["shard"], unique=False)


def _backfill() -> None:
    """Every citizen with a key or a block gets their shard, in chunks."""
    bind = op.get_bind()
    ids = sorted(
        set(bind.execute(sa.text("SELECT citizen_id FROM citizen_keys")).scalars())
        | set(bind.execute(sa.text("SELECT DISTINCT citizen_id FROM record_blocks")).scalars())
    )
    if not ids:
        return
    index = context.config.attributes.get("blind_index")
    if index is None:
        raise RuntimeError(
            "0007_engine assigns record shards with the blind-index key: "
            "run `civic db upgrade`, which loads it"
        )
    for start in range(0, len(ids), CHUNK):
        rows = [{"c": cid, "s": record_shard(index, cid)} for cid in ids[start : start + CHUNK]]
        for table in ("citizen_keys", "record_blocks"):
            bind.execute(sa.text(f"UPDATE {table} SET shard = :s WHERE citizen_id = :c"), rows)  # noqa: S608


def downgrade() -> None:
    with op.batch_alter_table("citizen_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_keys_shard"))
        batch_op.drop_column("shard")
    with op.batch_alter_table("record_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_record_blocks_dataset_shard_bucket")
        batch_op.drop_column("shard")
