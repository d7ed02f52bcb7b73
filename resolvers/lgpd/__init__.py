"""LGPD requests about one contact (the data subject): the export of
everything held about them (export.py) and erasure on request (erasure.py),
both ADMIN only and each logged as an event that holds no personal data."""
