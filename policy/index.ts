/**
 * The mlplatform policy pack: `pulumi preview --policy-pack policy` (after `npm ci --prefix policy`),
 * and what `pulumi policy publish policy` uploads. Self-contained: every import stays inside policy/
 * (tests/policy/pack-self-contained.test.ts). Its policies are the rules of policy/src/rules/, the
 * same ones the offline plan applies (offline/policy re-exports them).
 */
import { PolicyPack } from "@pulumi/policy";
import { packPolicies, POLICY_PACK_NAME } from "./src/pack";

new PolicyPack(POLICY_PACK_NAME, {
  description: "Security, data-safety and ownership rules of the ML service factory.",
  policies: packPolicies(),
});
