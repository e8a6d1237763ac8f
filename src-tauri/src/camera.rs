//! The camera in the Linux desktop app. WebKitGTK turns media streams off
//! and denies every `getUserMedia` request the embedding app does not
//! answer, so the Scan screen's camera would always fail with
//! `NotAllowedError` there. This turns media streams on and allows a
//! request only when it is for a camera alone (no microphone) and comes from
//! the app's own pages; every other permission (microphone, location,
//! notifications…) falls through to WebKit's default, which denies it.
//! Android, iOS, macOS and Windows ask the platform and need none of this.

use webkit2gtk::glib::object::Cast as _;
use webkit2gtk::{
    PermissionRequestExt as _, SettingsExt as _, UserMediaPermissionRequest, UserMediaPermissionRequestExt as _,
    WebViewExt as _,
};

/// Installs the media settings and the permission handler on the main webview.
pub(crate) fn allow_camera(webview: tauri::webview::PlatformWebview) {
    let view = webview.inner();
    if let Some(settings) = view.settings() {
        settings.set_enable_media_stream(true);
    }
    view.connect_permission_request(|view, request| {
        let Some(media) = request.downcast_ref::<UserMediaPermissionRequest>() else { return false };
        let own = view.uri().is_some_and(|uri| is_own_page(&uri));
        if own && media.is_for_video_device() && !media.is_for_audio_device() {
            request.allow();
            true
        } else {
            false
        }
    });
}

/// The app's own pages: the embedded UI (`tauri://localhost`, or
/// `http://tauri.localhost` where the platform needs it) and, in debug
/// builds, the Vite dev server of `tauri.conf.json`'s `devUrl`.
fn is_own_page(uri: &str) -> bool {
    let own = |origin: &str| uri == origin || uri.strip_prefix(origin).is_some_and(|rest| rest.starts_with('/'));
    own("tauri://localhost")
        || own("http://tauri.localhost")
        || (cfg!(debug_assertions) && own("http://127.0.0.1:1420"))
}

#[cfg(test)]
mod tests {
    use super::is_own_page;

    #[test]
    fn only_the_apps_own_pages_may_have_the_camera() {
        assert!(is_own_page("tauri://localhost"));
        assert!(is_own_page("tauri://localhost/index.html#scan"));
        assert!(is_own_page("http://tauri.localhost/"));
        assert!(!is_own_page("tauri://localhost.evil.example/"));
        assert!(!is_own_page("https://example.org/"));
        assert!(!is_own_page("http://tauri.localhost.example/"));
    }
}
