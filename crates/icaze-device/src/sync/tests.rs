use reqwest::header::{HeaderMap, CONTENT_RANGE};

use super::download::{content_range, read_partial, PartialMeta};
use super::*;

#[test]
fn content_range_reads_only_well_formed_values() {
    let mut headers = HeaderMap::new();
    let mut with = |v: &str| {
        headers.insert(CONTENT_RANGE, v.parse().unwrap());
        content_range(&headers)
    };
    assert_eq!(with("bytes 100-199/200"), Some((100, Some(200))));
    assert_eq!(with("bytes 0-0/*"), Some((0, None)));
    assert_eq!(with("bytes 10-5/20"), None);
    assert_eq!(with("items 0-1/2"), None);
    assert_eq!(with("bytes x-1/2"), None);
    assert_eq!(with("bytes 1-2/z"), None);
}

#[test]
fn answers_read_with_defaults_and_refuse_unknown_statuses() {
    let answer = UploadAnswer::from_json(br#"{"status": "unknown"}"#).unwrap();
    assert_eq!(answer.enrollment().unwrap(), Enrollment::Unknown);
    assert_eq!(answer.acknowledged_seq, 0);
    let answer = UploadAnswer::from_json(
        br#"{"device_id": "x", "status": "active", "badge": "B-1", "precinct": "P-1", "acknowledged_seq": 7,
                "high_water": 7, "accepted": 2, "duplicates": 5, "conflicts": 0, "flags": ["gap", {"kind": "fork"}],
                "channel": "upload", "server_time": "2020-12-15T06:00:00Z", "extra": 1}"#,
    )
    .unwrap();
    assert_eq!(answer.acknowledged_seq, 7);
    assert_eq!(answer.flag_names(), vec!["gap".to_owned(), r#"{"kind":"fork"}"#.to_owned()]);
    let odd = UploadAnswer::from_json(br#"{"status": "deleted"}"#).unwrap();
    assert_eq!(odd.enrollment().unwrap_err().code(), "protocol");
    assert_eq!(UploadAnswer::from_json(b"<html>").unwrap_err().code(), "protocol");
}

#[test]
fn addresses_are_checked() {
    assert_eq!(SyncClient::new("ftp://x", SyncConfig::default()).unwrap_err().code(), "bad_url");
    assert_eq!(SyncClient::new("not a url", SyncConfig::default()).unwrap_err().code(), "bad_url");
    let client = SyncClient::new("http://127.0.0.1:8103/base", SyncConfig::default()).unwrap();
    assert_eq!(client.url("v1/upload").unwrap().as_str(), "http://127.0.0.1:8103/base/v1/upload");
    let client = SyncClient::new("http://127.0.0.1:8103", SyncConfig::default()).unwrap();
    assert_eq!(client.url("v1/bundle").unwrap().as_str(), "http://127.0.0.1:8103/v1/bundle");
}

#[test]
fn a_partial_file_for_another_version_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(PARTIAL_BUNDLE_FILE), b"abc").unwrap();
    let meta = serde_json::to_vec(&PartialMeta { etag: "\"3.f.1\"".into(), since: Some(2) }).unwrap();
    std::fs::write(dir.path().join(PARTIAL_BUNDLE_META), meta).unwrap();
    assert_eq!(read_partial(dir.path(), Some(2)), Some(("\"3.f.1\"".to_owned(), 3)));
    assert_eq!(read_partial(dir.path(), Some(3)), None);
    assert!(!dir.path().join(PARTIAL_BUNDLE_FILE).exists(), "discarded");
    assert_eq!(read_partial(dir.path(), Some(2)), None);
}
