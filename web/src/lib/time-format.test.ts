import { describe, expect, it } from "vitest";
import { formatRelative, formatSeparator } from "./time-format";

const at = (y: number, m: number, d: number, h = 0, min = 0) => new Date(y, m - 1, d, h, min).getTime();

describe("formatSeparator", () => {
  const now = at(2026, 11, 27, 15, 30); // a Friday
  it("shows only the clock today", () => {
    expect(formatSeparator(at(2026, 11, 27, 9, 5), now)).toBe("09:05");
  });
  it("says Yesterday", () => {
    expect(formatSeparator(at(2026, 11, 26, 23, 59), now)).toBe("Yesterday 23:59");
  });
  it("names the weekday within a week", () => {
    expect(formatSeparator(at(2026, 11, 23, 8, 0), now)).toBe("Monday 08:00");
  });
  it("uses MM-DD in the same year", () => {
    expect(formatSeparator(at(2026, 3, 4, 10, 0), now)).toBe("03-04 10:00");
  });
  it("uses the full date for older years", () => {
    expect(formatSeparator(at(2024, 1, 2, 3, 4), now)).toBe("2024-01-02 03:04");
  });
});

describe("formatRelative", () => {
  const now = 1_800_000_000_000;
  it("says just now for under 45 s", () => {
    expect(formatRelative(now - 10_000, now)).toBe("just now");
  });
  it("counts minutes, hours and days", () => {
    expect(formatRelative(now - 5 * 60_000, now)).toBe("5 minutes ago");
    expect(formatRelative(now - 3 * 3_600_000, now)).toBe("3 hours ago");
    expect(formatRelative(now - 86_400_000, now)).toBe("yesterday");
    expect(formatRelative(now - 14 * 86_400_000, now)).toBe("2 weeks ago");
  });
});
