"""名寄せ確認: rows the import could not link safely, decided by a person."""
