"""学校カルテ: each school's survey results, growth and basic information with their
uncertainty, and the city view of all schools side by side (always in school-code order)."""
