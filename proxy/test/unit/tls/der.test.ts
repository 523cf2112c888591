import { describe, expect, it } from "vitest";
import { integer, oid, octetString, time, tlv } from "../../../src/tls/der.js";

const hex = (buffer: Buffer): string => buffer.toString("hex");

describe("DER encoding", () => {
  it("encodes non-negative INTEGERs minimally with a sign byte when the top bit is set", () => {
    expect(hex(integer(0))).toBe("020100");
    expect(hex(integer(127))).toBe("02017f");
    expect(hex(integer(128))).toBe("02020080");
    expect(hex(integer(Buffer.from([0, 0, 1, 2])))).toBe("02020102");
    expect(hex(integer(Buffer.from([0xff])))).toBe("020200ff");
  });

  it("encodes OIDs with base-128 arcs", () => {
    expect(hex(oid("1.2.840.113549.1.9.14"))).toBe("06092a864886f70d01090e");
    expect(hex(oid("1.3.6.1.5.5.7.1.31"))).toBe("06082b0601050507011f");
  });

  it("switches to long-form lengths past 127 bytes", () => {
    expect(hex(octetString(Buffer.alloc(200))).slice(0, 6)).toBe("0481c8");
    expect(hex(tlv(0x30, Buffer.alloc(300))).slice(0, 8)).toBe("3082012c");
  });

  it("uses UTCTime before 2050 and GeneralizedTime from 2050", () => {
    expect(time(new Date("2025-01-02T03:04:05Z")).toString("latin1").slice(2)).toBe("250102030405Z");
    expect(time(new Date("2050-01-02T03:04:05Z"))[0]).toBe(0x18);
  });
});
