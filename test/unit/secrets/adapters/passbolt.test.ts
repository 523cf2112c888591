import { afterEach, describe, expect, it } from "vitest";
import { fakeCli, type FakeCli, type FakeRule } from "../helpers/fake-cli.js";
import { expectNotInArgv, fetchWith, plain } from "../helpers/adapter.js";

const VERSION: FakeRule = { args: ["--version"], stdout: "passbolt version 0.3.2\n" };
const VERIFIED: FakeRule = { args: ["verify"], stdout: "Server Verified\n" };
const PROJECT = "dcbe0e39-42d8-42db-9637-8256b9f2f8e3";
const SUB = "6a3f21fc-aa40-4ba9-852c-7477fdd0310d";
const resource = (name: string, password: string, parent = "") => ({ id: `id-${name}`, folder_parent_id: parent, name, username: "", uri: "", password });
const folder = (id: string, name: string, parent = "") => ({ id, folder_parent_id: parent, name });

let fake: FakeCli;
afterEach(() => fake.cleanup());

describe("Passbolt adapter (passbolt)", () => {
  it("filters root resources by name in one call", () => {
    fake = fakeCli({
      passbolt: [
        VERSION,
        VERIFIED,
        {
          args: ["list", "resources", "--filter", 'Name == "SECRET1" || Name == "FSECRET1"', "--json"],
          stdout: JSON.stringify([resource("FSECRET1", "fsecret1"), resource("SECRET1", "secret1")]),
        },
      ],
    });
    const values = fetchWith(fake, ["SECRET1", "FSECRET1"], { adapter: "passbolt" });
    expect(plain(values)).toEqual({ SECRET1: "secret1", FSECRET1: "fsecret1" });
    expectNotInArgv(fake, Object.values(values));
  });

  it("resolves a --from folder, then filters by folder id", () => {
    fake = fakeCli({
      passbolt: [
        VERSION,
        VERIFIED,
        { args: ["list", "folders", "--filter", 'Name == "my-project"', "--json"], stdout: JSON.stringify([folder(PROJECT, "my-project")]) },
        {
          args: ["list", "resources", "--filter", `(Name == "SECRET1" && FolderParentID == "${PROJECT}")`, "--folder", PROJECT, "--json"],
          stdout: JSON.stringify([resource("SECRET1", "secret1", PROJECT)]),
        },
      ],
    });
    expect(plain(fetchWith(fake, ["SECRET1"], { adapter: "passbolt", from: "my-project" }))).toEqual({ SECRET1: "secret1" });
  });

  it("walks nested folders level by level", () => {
    fake = fakeCli({
      passbolt: [
        VERSION,
        VERIFIED,
        { args: ["list", "folders", "--filter", 'Name == "my-project"', "--json"], stdout: JSON.stringify([folder(PROJECT, "my-project")]) },
        {
          args: ["list", "folders", "--filter", `Name == "subfolder" && FolderParentID == "${PROJECT}"`, "--json"],
          stdout: JSON.stringify([folder(SUB, "subfolder", PROJECT)]),
        },
        {
          args: ["list", "resources", "--filter", `(Name == "SECRET1" && FolderParentID == "${SUB}")`, "--folder", PROJECT, "--folder", SUB, "--json"],
          stdout: JSON.stringify([resource("SECRET1", "secret1", SUB)]),
        },
      ],
    });
    expect(plain(fetchWith(fake, ["my-project/subfolder/SECRET1"], { adapter: "passbolt" }))).toEqual({ SECRET1: "secret1" });
  });

  it("names folders it cannot find", () => {
    fake = fakeCli({ passbolt: [VERSION, VERIFIED, { args: ["list", "folders", "--filter", 'Name == "nope"', "--json"], stdout: "[]" }] });
    expect(() => fetchWith(fake, ["nope/SECRET1"], { adapter: "passbolt" })).toThrow("Could not find the following folders in Passbolt: nope");
  });

  it("names secrets it cannot find", () => {
    fake = fakeCli({
      passbolt: [VERSION, VERIFIED, { args: ["list", "resources", "--filter", 'Name == "A" || Name == "B"', "--json"], stdout: JSON.stringify([resource("A", "a")]) }],
    });
    expect(() => fetchWith(fake, ["A", "B"], { adapter: "passbolt" })).toThrow("Could not find the following secrets in Passbolt: B");
  });

  it("fails when `passbolt verify` fails", () => {
    fake = fakeCli({ passbolt: [VERSION, { args: ["verify"], exit: 1 }] });
    expect(() => fetchWith(fake, ["A"], { adapter: "passbolt" })).toThrow("Failed to login to Passbolt");
  });

  it("says the CLI is not installed", () => {
    fake = fakeCli({});
    expect(() => fetchWith(fake, ["A"], { adapter: "passbolt" })).toThrow(/^Passbolt CLI is not installed/);
  });
});
