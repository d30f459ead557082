/**
 * A wrong value handed to a library function by its caller (an unknown stack, a git ref that does
 * not exist, two backends at once): the caller fixes its input. Library modules throw subclasses
 * of it and never know how they were called; the command line maps every one to exit code 2.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
