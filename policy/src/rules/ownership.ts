/**
 * Ownership and data safety: the platform's tags on taggable resources, data-bearing resources
 * retained or protected.
 */
import { ResourceRule } from "../framework";
import { DATA_BEARING_TYPES, TYPES } from "../shared";
import { record } from "../view";

/** Types that carry tags, and must carry the platform's ownership tags. */
export const TAGGABLE_TYPES = [
  TYPES.bucket,
  TYPES.bucketV2,
  TYPES.ecrRepository,
  TYPES.iamRole,
  TYPES.iamInstanceProfile,
  TYPES.databricksJob,
];
export const REQUIRED_TAGS = ["service", "team", "environment"];

export const requiredTags: ResourceRule = {
  scope: "resource",
  id: "required-tags",
  description: `Taggable resources (${TAGGABLE_TYPES.join(", ")}) carry non-empty ${REQUIRED_TAGS.join(", ")} tags.`,
  why: "Cost, ownership and incident routing are answered from tags.",
  severity: "mandatory",
  types: TAGGABLE_TYPES,
  check(r) {
    const tags = record(r.inputs.tags) ?? {};
    const missing = REQUIRED_TAGS.filter((t) => typeof tags[t] !== "string" || tags[t] === "");
    return missing.length ? [`resource is missing the tag(s) ${missing.join(", ")}`] : [];
  },
};

export const dataRetained: ResourceRule = {
  scope: "resource",
  id: "data-retained",
  description: `Data-bearing resources (${[...DATA_BEARING_TYPES].join(", ")}) set retainOnDelete or protect.`,
  why: "Removing or renaming a catalog entry must never delete buckets, images, repositories, experiments or models.",
  severity: "mandatory",
  types: [...DATA_BEARING_TYPES],
  check(r) {
    // The policy analyzer protocol does not carry retainOnDelete (undefined): only protect is checked there.
    if (r.protect || r.retainOnDelete !== false) return [];
    return ["data-bearing resource sets neither retainOnDelete nor protect"];
  },
};
