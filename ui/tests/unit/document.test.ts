import { describe, expect, it } from "vitest";
import { canonicalDocument, printedDocument } from "../../src/document";

describe("documents as printed on the card", () => {
  it("writes residence permits with the dotted İ, as the Result screen does", () => {
    expect(printedDocument("MYI1234567")).toBe("MYİ1234567");
    expect(printedDocument("DYI7654321")).toBe("DYİ7654321");
  });

  it("leaves every other document as it is", () => {
    for (const doc of ["AZE11111111", "AA1234567", "MOM1234567", "MYI123", "XMYI1234567", "123456789012"]) {
      expect(printedDocument(doc)).toBe(doc);
    }
  });
});

describe("documents as the log keeps them", () => {
  it("writes residence permits with the plain I, and undoes printedDocument", () => {
    expect(canonicalDocument("MYİ1234567")).toBe("MYI1234567");
    expect(canonicalDocument("DYİ7654321")).toBe("DYI7654321");
    for (const doc of ["MYI1234567", "AZE11111111", "MYİ123", "xMYİ1234567", "AA1234567"]) {
      expect(canonicalDocument(printedDocument(doc))).toBe(doc);
    }
  });
});
