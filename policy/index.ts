/**
 * The mlplatform policy pack: `pulumi preview --policy-pack policy` (after `npm ci --prefix policy`).
 * Its policies are the rules of lib/policy/rules.ts, the same ones the offline plan applies.
 */
import { PolicyPack } from "@pulumi/policy";
import { packPolicies, POLICY_PACK_NAME } from "../lib/policy/pack";

new PolicyPack(POLICY_PACK_NAME, {
  description: "Security, data-safety and ownership rules of the ML service factory.",
  policies: packPolicies(),
});
