"""個人情報ファイル簿: the register of personal-information files, generated (issue 13)."""
