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
    "check_service_card",
    "today_log",
    "import_bundle",
    "enrollment",
    "zones",
    "get_settings",
    "save_settings",
    "sync_now",
    "export_outbox",
    "supervisor_login",
    "supervisor_logout",
    "supervisor_inspections",
    "supervisor_inspections_csv",
    "supervisor_hourly",
    "supervisor_codes",
    "supervisor_codes_csv",
    "supervisor_devices",
    "supervisor_approve",
    "supervisor_suspend",
    "supervisor_resume",
    "supervisor_revoke",
    "supervisor_import",
];
