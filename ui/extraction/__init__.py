"""抽出: the page, its condition tree, the condition and push-support dialogs."""
