/** Why the catalog page could not be built from what its caller gave it. */
import { InputError } from "../../lib/input-error";

/** Which input was wrong: the command line maps each to its option. */
export type CatalogPageInput = "stack" | "outputs" | "services";

/** A wrong input (unknown stack, unreadable or foreign outputs file): the caller fixes it. */
export class CatalogPageError extends InputError {
  constructor(
    /** The input that was wrong. */
    readonly input: CatalogPageInput,
    /** Its value as given (a stack name, `stack=file` or a file). */
    readonly value: string,
    /** What is wrong with it, naming the file and the field where there is one. */
    readonly detail: string,
  ) {
    super(detail);
  }
}
