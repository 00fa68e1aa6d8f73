//! Pure verdicts, reasons and fixes from scheme grants. SKELETON: filled by the audit helper.
