"""Reads of the case pages that span several models: the case page's timeline, people and photos
(`case_view`) and the printable slips (`slips`). They return dataclasses; views render them."""
