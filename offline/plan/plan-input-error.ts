/**
 * A wrong plan input (an unknown stack, a worker count below one): the command line exits 2 on it.
 * Its own module, so that the parallel plan's parent can throw it without loading the program.
 */
import { InputError } from "../../lib/input-error";

export class PlanInputError extends InputError {}
