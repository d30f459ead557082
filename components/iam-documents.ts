/** IAM policy documents as typed data, serialised in one place. */
import * as pulumi from "@pulumi/pulumi";

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource?: pulumi.Input<string> | pulumi.Input<string>[];
  Principal?: Record<string, pulumi.Input<string> | pulumi.Input<string>[]>;
  Condition?: Record<
    string,
    Record<string, pulumi.Input<string> | pulumi.Input<string>[] | boolean>
  >;
}

/** A policy document whose statements may hold outputs (ARNs). */
export function policyDocumentOutput(statements: PolicyStatement[]): pulumi.Output<string> {
  return pulumi
    .output(statements)
    .apply((resolved) => JSON.stringify({ Version: "2012-10-17", Statement: resolved }));
}
