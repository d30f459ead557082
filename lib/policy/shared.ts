/**
 * The facts the policy rules share with the offline plan (type tokens, data-bearing types, the
 * secret mask), defined once in policy/src/shared.ts so that the policy pack in policy/ stays
 * self-contained; lib/plan imports them from here.
 */
export * from "../../policy/src/shared";
