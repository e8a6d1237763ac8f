import { describe, expect, it } from "vitest";
import type { EnrollmentStatus, SyncReport } from "../../src/api";
import { CATALOGUES } from "../../src/i18n";
import { enrollmentLines } from "../../src/screens/enrollment";
import { bakuNow, bundleLine, progressLine, receivedBytes } from "../../src/screens/sync";

const active: EnrollmentStatus = {
  status: "active",
  badge: "B-1042",
  precinct: "P-12",
  checked_at: "2020-12-15T10:30:00+04:00",
  server: "http://127.0.0.1:8103/",
};

function report(bundle: SyncReport["bundle"]): SyncReport {
  return {
    device_id: "D",
    status: "active",
    badge: null,
    precinct: null,
    requests: 1,
    sent: 0,
    accepted: 0,
    duplicates: 0,
    conflicts: 0,
    acknowledged: 0,
    acknowledged_seq: 0,
    high_water: 0,
    outbox_left: 0,
    pruned: 0,
    diverged: false,
    flags: [],
    server_time: null,
    bundle,
    retries: 0,
  };
}

/** A sync that applied a delta bundle of version 4 (900 bytes, 2 revoked permits). */
const applied = report({
  result: "applied",
  version: 4,
  delta: true,
  revocations: 2,
  clock_suspicious: false,
  bytes: 900,
  resumed_from: null,
});

describe("enrollment status", () => {
  it("says how to learn it before the first sync", () => {
    expect(enrollmentLines(null, "az")).toEqual([CATALOGUES.az["enrollment.status.none"]]);
  });

  it("gives the status, badge, precinct and when it was learnt", () => {
    expect(enrollmentLines(active, "en")).toEqual([
      "Active",
      "Badge B-1042",
      "Precinct P-12",
      "As of the sync at 15.12 10:30",
    ]);
    expect(enrollmentLines(active, "ru")[0]).toBe(CATALOGUES.ru["enrollment.status.active"]);
  });

  it("leaves out what the server did not say, and reads an unexpected status as not approved", () => {
    const waiting: EnrollmentStatus = { ...active, status: "unknown", badge: null, precinct: null };
    expect(enrollmentLines(waiting, "az")).toEqual([
      CATALOGUES.az["enrollment.status.unknown"],
      "15.12 10:30 tarixli yeniləməyə görə",
    ]);
    const odd = { ...waiting, status: "retired" } as unknown as EnrollmentStatus;
    expect(enrollmentLines(odd, "en")[0]).toBe(CATALOGUES.en["enrollment.status.unknown"]);
    const suspended: EnrollmentStatus = { ...active, status: "suspended" };
    expect(enrollmentLines(suspended, "en")[0]).toBe("Suspended: ask your precinct.");
  });
});

describe("sync result", () => {
  it("says which bundle was applied or that the data is up to date", () => {
    expect(bundleLine(applied, "en")).toBe("Data version 4 applied, 2 revoked permits known.");
    expect(bundleLine(report({ result: "up_to_date", version: 3 }), "ru")).toBe("Данные актуальны (версия 3).");
  });
});

describe("sync progress", () => {
  it("says how many records are being sent, or that only data is fetched", () => {
    expect(progressLine({ records: 3 }, "en")).toBe("Records being sent: 3. New data comes next…");
    expect(progressLine({ records: 3 }, "ru")).toBe("Отправляется записей: 3. Затем загрузка новых данных…");
    expect(progressLine({ records: 0 }, "az")).toBe(CATALOGUES.az["sync.progress_data"]);
  });

  it("knows the bytes received only when a bundle was applied", () => {
    expect(receivedBytes(applied)).toBe(900);
    expect(receivedBytes(report({ result: "up_to_date", version: 3 }))).toBeNull();
  });

  it("writes the time of the update in Baku time, as the device core writes times", () => {
    expect(bakuNow(new Date("2020-12-15T06:30:00.123Z"))).toBe("2020-12-15T10:30:00+04:00");
  });
});
