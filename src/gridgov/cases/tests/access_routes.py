"""The cases app's entries for the project-wide access test (core/tests/test_access.py)."""

PUBLIC_OPERATIONS = {
    # A resident rates their own closed case with the tracking code, as the tracking page lets
    # them (seed 002: 回访; the code is the resident's proof, 32^10 to guess, and throttled).
    "POST /api/v1/cases/track/<code>/callback": "resident rates their own case by tracking code",
}

PUBLIC_OPERATIONS |= {
    # The photos of that same report, numbered as the tracking view lists them (issue 9).
    "GET /api/v1/cases/track/<code>/photos/<int:index>": "resident's own report photos",
}


def _attachment_url(anchor):
    """A photo of a resident's report located in the anchor grid."""
    import io

    from PIL import Image

    from gridgov.cases.attachments import check_photo, store_photos
    from gridgov.cases.models import CaseAttachment, Channel
    from gridgov.cases.services.intake import report_case

    if anchor.grid is None:
        return None
    case = report_case(
        by=None,
        channel=Channel.RESIDENT,
        description="井盖缺失(访问矩阵测试)",
        grid_code=anchor.grid.code,
    ).case
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    buffer.name = "p.png"
    buffer.seek(0)
    [photo] = store_photos(
        case, [check_photo(buffer)], by=None, event=None, purpose=CaseAttachment.Purpose.REPORT
    )
    return f"/api/v1/cases/{case.pk}/attachments/{photo.pk}"


ROUTES = {"/api/v1/cases/<int:case_id>/attachments/<int:attachment_id>": _attachment_url}
