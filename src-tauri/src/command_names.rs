// The app's commands, one line each: build.rs makes an `allow-<name>`
// permission for every one, and capabilities/main.json must grant each
// (a unit test in lib.rs holds the two lists equal).
/// Every command the app registers.
pub const ALL: &[&str] = &[
    "status",
    "init_device",
    "check_text",
    "check_image",
    "record_manual",
    "today_log",
    "import_bundle",
    "enrollment",
    "get_settings",
    "save_settings",
    "sync_now",
    "export_outbox",
];
