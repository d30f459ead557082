/**
 * The steps every dynamic provider takes with its inputs: `check` (defaults applied, problems of
 * the known inputs reported to the engine), `diff` (the provider's own rule), and, at the start of
 * create and update, the same resolution with every problem thrown as one error.
 */
import type * as pulumi from "@pulumi/pulumi";
import { failuresOfKnownInputs } from "./unknown-value";

type Raw = Record<string, unknown>;

/** A problem of one input: its field is "name" or "name.sub.path". */
export interface InputProblem {
  field: string;
  reason: string;
}

export interface InputRules<I, P extends InputProblem = InputProblem> {
  /** Defaults applied and problems listed. */
  resolve(raw: Raw): { inputs: I; problems: P[] };
  /** What changes and what replaces, from the old state and the new inputs. */
  diff(olds: Raw, news: Raw): pulumi.dynamic.DiffResult;
  /** The error create and update throw when problems remain (message only, no stack). */
  refuse(raw: Raw, problems: P[]): Error;
}

export interface ProviderInputs<I> {
  check(olds: unknown, news: I): Promise<pulumi.dynamic.CheckResult<I>>;
  diff(id: string, olds: unknown, news: unknown): Promise<pulumi.dynamic.DiffResult>;
  /** The resolved inputs of create or update; throws `rules.refuse` on any problem. */
  validated(raw: I): I;
}

export function providerInputs<I, P extends InputProblem = InputProblem>(
  rules: InputRules<I, P>,
): ProviderInputs<I> {
  return {
    async check(_olds, news) {
      const raw = news as unknown as Raw;
      const { inputs, problems } = rules.resolve(raw);
      return { inputs, failures: failuresOfKnownInputs(raw, problems) };
    },
    async diff(_id, olds, news) {
      return rules.diff(olds as Raw, news as Raw);
    },
    validated(raw) {
      const { inputs, problems } = rules.resolve(raw as unknown as Raw);
      if (problems.length > 0) throw rules.refuse(raw as unknown as Raw, problems);
      return inputs;
    },
  };
}
