/**
 * Each test file loads its own copy of the Pulumi SDK, whose runtime/state.js creates an
 * AsyncLocalStorage on the file's global (`global.asyncLocalStorage`) and enables it with `run`.
 * Node keeps every enabled instance in one process-wide list and, for every promise created
 * afterwards, copies the store of each of them onto the new promise (lib/async_hooks.js,
 * AsyncLocalStorage._propagate, called from the init hook): in a jest worker that had run N test
 * files, every promise paid for N instances, and each kept its file's SDK state alive. Disabling
 * the file's instance when the file ends takes it out of that list ("Calling
 * asyncLocalStorage.disable() is required before the asyncLocalStorage can be garbage
 * collected": https://nodejs.org/api/async_context.html#asynclocalstoragedisable).
 * https://jestjs.io/docs/configuration#setupfilesafterenv-array
 */
"use strict";

afterAll(() => {
  const storage = globalThis.asyncLocalStorage;
  if (storage && typeof storage.disable === "function") storage.disable();
});
