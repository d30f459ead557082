/**
 * Services per worker below which `--workers auto` does not start another one: each worker loads
 * the whole program before it plans anything (docs/scale.md, "Parallel plan").
 */
export const AUTO_SERVICES_PER_WORKER = 150;
