/** Tags every taggable resource of a service carries (the policy pack checks them). */
export interface ServiceTagArgs {
  service: string;
  team: string;
  environment: string;
  accountTags: Record<string, string>;
  /** Whether the stack is a production one (tag `production`, which the policy rules read). */
  production: boolean;
}

export function serviceTags(args: ServiceTagArgs): Record<string, string> {
  return {
    ...args.accountTags,
    service: args.service,
    team: args.team,
    environment: args.environment,
    production: String(args.production),
    "managed-by": "mlplatform",
  };
}

/** Options for data-bearing resources: never deleted by a catalog edit, protected where asked. */
export function dataResourceOptions(protect: boolean): { retainOnDelete: true; protect: boolean } {
  return { retainOnDelete: true, protect };
}
