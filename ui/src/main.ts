// Boots the app: reads the status and settings, then shows Scan (or Setup).
import { createApp } from "./app";
import { setLanguage } from "./i18n";
import { enrollmentScreen } from "./screens/enrollment";
import { logScreen } from "./screens/log";
import { manualScreen } from "./screens/manual";
import { resultScreen } from "./screens/result";
import { scanScreen } from "./screens/scan";
import { settingsScreen } from "./screens/settings";
import { setupScreen } from "./screens/setup";
import { supervisorScreen } from "./screens/supervisor";
import { syncScreen } from "./screens/sync";
import { ownValidationMessages } from "./validation";

const root = document.getElementById("app");
if (root) {
  setLanguage("az");
  ownValidationMessages(document);
  const ctx = createApp(root, {
    scan: scanScreen,
    result: resultScreen,
    manual: manualScreen,
    log: logScreen,
    sync: syncScreen,
    enrollment: enrollmentScreen,
    settings: settingsScreen,
    setup: setupScreen,
    supervisor: supervisorScreen,
  });
  void ctx.refresh().then(() => {
    // Scan-ready: the tests and the start-up measurement wait for this mark.
    document.body.dataset.ready = "true";
    performance.mark("icaze-scan-ready");
  });
}
