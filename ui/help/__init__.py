"""The in-app manual (ヘルプ): bundled Japanese pages, shown offline."""
