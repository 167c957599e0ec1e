"""The research extract's disclosure control (issue 13), pure pandas/numpy.

``pseudonyms``: a pupil's pseudonym under a project's key (HMAC-SHA256), so two projects'
extracts cannot be joined; ``anonymity``: a fixed ladder of generalisations of the
quasi-identifiers (school, grade, sex, birth month) until every class holds at least k
pupils, the remaining small classes' rows withheld; ``cells``: aggregate tables with small
cells suppressed and complementary cells chosen so that no suppressed cell can be worked
out from the totals.
"""
