import { describe, expect, it } from "vitest";
import { coneAngles, fitZoom, KINDS, latLngToPlan, levelOfDetail, markerRadius, planToLatLng, STATUSES } from "./geometry";

describe("plan coordinates", () => {
  it("round-trip through Leaflet's lat/lng", () => {
    for (const [x, y] of [[0, 0], [2200, 1100], [13.5, 977.25]]) {
      const [lat, lng] = planToLatLng(x, y);
      expect(latLngToPlan(lat, lng)).toEqual({ x, y });
    }
  });

  it("keep the Rust index order of kinds and statuses", () => {
    expect(KINDS).toEqual(["camera", "alarm_point", "mobile_alarm_point", "checkpoint"]);
    expect(STATUSES).toEqual(["normal", "alarm", "fault", "offline"]);
  });
});

describe("camera cones", () => {
  it("point north for heading 0 and east for heading 90", () => {
    const north = coneAngles(0, 60);
    expect((north.start + north.end) / 2).toBeCloseTo(-Math.PI / 2);
    expect(north.end - north.start).toBeCloseTo(Math.PI / 3);
    const east = coneAngles(90, 90);
    expect((east.start + east.end) / 2).toBeCloseTo(0);
    expect(east.full).toBe(false);
  });

  it("treat 360° as a full circle", () => {
    const dome = coneAngles(0, 360);
    expect(dome.full).toBe(true);
    expect(dome.end - dome.start).toBeCloseTo(2 * Math.PI);
  });
});

describe("level of detail", () => {
  it("draws dots when far out or crowded, cones when close", () => {
    expect(levelOfDetail(0.1, 100)).toBe("dots");
    expect(levelOfDetail(2, 60000)).toBe("dots");
    expect(levelOfDetail(0.4, 3000)).toBe("shapes");
    expect(levelOfDetail(1, 500)).toBe("cones");
    expect(levelOfDetail(1, 1500)).toBe("shapes");
    expect(levelOfDetail(1, 6000)).toBe("shapes");
    expect(levelOfDetail(1, 9000)).toBe("dots");
  });

  it("keeps markers between 3 and 9 pixels", () => {
    expect(markerRadius(0)).toBe(3);
    expect(markerRadius(100)).toBe(9);
    expect(markerRadius(0.5)).toBeCloseTo(5.5);
  });

  it("fits a plan into the view", () => {
    expect(fitZoom(1000, 500, 1048, 548)).toBeCloseTo(0);
    expect(fitZoom(2000, 1000, 1048, 548)).toBeCloseTo(-1);
  });
});
