"""The cases app's entries for the project-wide access test (core/tests/test_access.py)."""

PUBLIC_OPERATIONS = {
    # A resident rates their own closed case with the tracking code, as the tracking page lets
    # them (seed 002: 回访; the code is the resident's proof, 32^10 to guess, and throttled).
    "POST /api/v1/cases/track/<code>/callback": "resident rates their own case by tracking code",
}
