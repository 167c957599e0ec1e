"""データ概要: what the store holds and its integrity check."""
