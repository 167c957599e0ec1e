"""権限設定: the permission map (roles, functions, data areas) and its editing."""
