"""The school karte's statistics (issue 15): survey positivity with intervals and the city's
colour rules, distributions, growth (value-added) with empirical-Bayes shrinkage, and
correlations. Pure functions over aggregates; schools always come out in school-code order.
"""
