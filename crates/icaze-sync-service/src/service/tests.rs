use super::*;

#[test]
fn cursors_round_trip_and_garbage_is_refused() {
    assert_eq!(parse_cursor("26830000.17").unwrap(), (UtcMinute::from_unix_minutes(26_830_000), 17));
    for bad in ["", "17", "a.b", "1.2.3", "-1.5", "99999999999.1"] {
        assert!(matches!(parse_cursor(bad), Err(SyncError::Invalid { code: "invalid_cursor", .. })), "{bad}");
    }
}

#[test]
fn names_and_reasons_are_checked() {
    assert_eq!(short_name("invalid_precinct", "precinct", "P-12").unwrap(), "P-12");
    for bad in ["", "P 12", "P\u{e9}", &"P".repeat(33)] {
        let e = short_name("invalid_precinct", "precinct", bad).unwrap_err();
        assert_eq!(e.code(), "invalid_precinct", "{bad:?}");
    }
    assert_eq!(reason("  lost phone ").unwrap(), "lost phone");
    for bad in ["", "   ", "a\nb", &"x".repeat(MAX_REASON + 1)] {
        assert_eq!(reason(bad).unwrap_err().code(), "invalid_reason", "{bad:?}");
    }
}
