import { InputError } from "../lib/input-error";

/** A wrong input to a deploy function (a stack name that cannot be one, two backends at once): exit 2. */
export class DeployInputError extends InputError {}
