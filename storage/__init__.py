"""The encrypted store: SQLCipher with a wrapped data key, schema, migrations, repositories.

No Qt and no UI text beyond error messages; everything runs on the store's one database thread.
"""
