"""The hotline app's entries for the project-wide access test (core/tests/test_access.py)."""

PUBLIC_VIEWS = {
    # The report forms of residents (no account) ask for a classifier suggestion as the
    # description is typed: the answer names a catalogue item only, never a case or a person,
    # and is throttled per address.
    "hotline:suggest": "catalogue item suggested for the text of a report being written",
}
