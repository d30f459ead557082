/** The pure argument checks of the Drone resources, without a server or mocks. */
import { backoffDelay, redact } from "../../components/drone/client";
import {
  secretNameProblems,
  secretTargetProblems,
  serverProblems,
  settingsProblems,
  slugProblems,
} from "../../components/drone/validation";
import { FAST } from "./helpers";

describe("secret names", () => {
  test.each(["aws_ci_role_arn", "a", "A-b_c.d", "x".repeat(100)])("%s is accepted", (name) => {
    expect(secretNameProblems(name)).toEqual([]);
  });

  test.each(["", "has space", "slash/name", "dollar$", "ünicode", "x".repeat(101)])(
    "%j is refused with the rule",
    (name) => {
      expect(secretNameProblems(name)).toEqual([
        {
          field: "name",
          reason: `${JSON.stringify(name)} is not a valid Drone secret name: use 1 to 100 letters, digits, "-", "_" or "." (e.g. "databricks_client_secret")`,
        },
      ]);
    },
  );
});

describe("servers", () => {
  test.each([
    "https://drone.example.com",
    "https://ci.example.com:8443/drone",
    "http://127.0.0.1:4000",
  ])("%s is accepted", (server) => expect(serverProblems(server)).toEqual([]));

  test.each([
    ["http://drone.example.com", "must use https"],
    ["ftp://drone.example.com", "must use https"],
    ["drone.example.com", "is not a URL"],
    ["https://user:pw@drone.example.com", "must not carry credentials"],
    ["https://drone.example.com/?token=x", "must not carry credentials, a query or a fragment"],
  ])("%s is refused (%s)", (server, reason) => {
    const problems = serverProblems(server);
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe("server");
    expect(problems[0].reason).toContain(reason);
    // A URL with credentials is not echoed with them.
    expect(problems[0].reason).not.toContain("pw@");
    expect(problems[0].reason).not.toContain("token=x");
  });
});

describe("targets", () => {
  test("a repository slug needs exactly owner and name", () => {
    expect(slugProblems("repository", "acme-ml/churn-model")).toEqual([]);
    expect(slugProblems("repository", "acme-ml/churn/model")).toHaveLength(1);
    expect(slugProblems("repository", "acme-ml/..")).toHaveLength(1);
    expect(slugProblems("repository", "acme ml/x")).toHaveLength(1);
  });

  test("an organisation secret needs a namespace and no repository", () => {
    expect(secretTargetProblems(undefined, "acme-ml")).toEqual([]);
    expect(secretTargetProblems(undefined, "acme ml")[0].field).toBe("namespace");
  });
});

describe("repository settings", () => {
  test("defaults (unset) and sensible values pass", () => {
    expect(settingsProblems({})).toEqual([]);
    expect(
      settingsProblems({ configPath: "ci/.drone.yml", timeoutMinutes: 1440, protected: false }),
    ).toEqual([]);
  });

  test("bad values name their field", () => {
    expect(
      settingsProblems({
        configPath: "../outside.yml",
        timeoutMinutes: 1441,
        ignoreForks: "yes",
      }).map((p) => p.field),
    ).toEqual(["configPath", "ignoreForks", "timeoutMinutes"]);
    expect(settingsProblems({ timeoutMinutes: 2.5 })[0].reason).toBe(
      "2.5 is not a whole number of minutes from 1 to 1440",
    );
  });
});

describe("client helpers", () => {
  test("redact hides every occurrence of each value", () => {
    expect(redact("a tok b tok sec", ["tok", "sec", undefined, ""])).toBe(
      "a [secret] b [secret] [secret]",
    );
  });

  test("redact treats values literally, not as patterns", () => {
    expect(redact("x a.b*c y aXbbc", ["a.b*c"])).toBe("x [secret] y aXbbc");
    expect(redact("pre-abc-post", ["abc", "pre-abc"])).toBe("[secret]-post");
  });

  test("backoff doubles up to the cap and never drops below half of it", () => {
    for (let retry = 1; retry <= 6; retry++) {
      const ceiling = Math.min(FAST.maxDelayMs, FAST.initialDelayMs * 2 ** (retry - 1));
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(retry, FAST);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});
