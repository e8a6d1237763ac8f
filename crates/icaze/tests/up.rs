//! `icaze up --check`: the whole system set up on one machine, then checked:
//! three permits asked for through the real 8103 endpoint, one revoked through
//! the sync API, a device approved and synced that judges them valid,
//! revoked, valid. Run twice on one directory, it reuses what is there.

use std::process::Command;

use serde_json::Value;

fn up(data: &std::path::Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_icaze"))
        .args(["up", "--listen", "127.0.0.1:0", "--check", "--data"])
        .arg(data)
        .output()
        .expect("run icaze up");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON summary")
}

#[test]
fn up_sets_up_the_whole_system_and_again() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("up");
    let first = up(&data);
    let verdicts: Vec<&str> =
        first["permits"].as_array().unwrap().iter().map(|p| p["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts, ["valid", "revoked", "valid"]);
    assert!(data.join("device/device.db").exists() && data.join("admin-token").exists());
    for reply in first["sms_replies"].as_array().unwrap() {
        assert!(reply.as_str().unwrap().len() <= 160, "one SMS: {reply}");
    }

    for role in ["employer", "operator"] {
        let password = first["portal"][role]["password"].as_str().unwrap_or_default();
        assert!(password.len() >= 10, "a one-time password for the demo {role}: {}", first["portal"]);
    }
    let page = first["citizen_page"].as_str().unwrap();
    assert!(page.starts_with("http://127.0.0.1:") && page.contains("/p#IZ2"), "{page}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data.join("portal-demo.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the demo passwords are the owner's only");
    }

    let again = up(&data);
    assert_eq!(again["device_id"], first["device_id"], "the same device");
    assert_eq!(again["portal"]["employer"], first["portal"]["employer"], "the same demo accounts, shown again");
    assert_eq!(
        again["permits"], first["permits"],
        "the same permits, the revoked one among them (kept from the first run)"
    );
}
