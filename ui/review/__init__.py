"""名寄せ確認: the review page and its models."""
