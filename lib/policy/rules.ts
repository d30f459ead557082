/**
 * Moved to policy/src/rules/ (one module per domain, index.ts lists them) so that the policy pack
 * in policy/ is self-contained (`pulumi policy publish policy` uploads only that folder). Kept so
 * that lib/ and the tests import the same code as before.
 */
export * from "../../policy/src/rules";
