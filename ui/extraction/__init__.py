"""抽出: the page's shell and its parts (condition editor area, saved extractions, results,
push-support preset), the condition tree, and the condition and push-support dialogs."""
