"""バックアップを作成: the administrators' dialog, from the menu and offered at sign-out."""
