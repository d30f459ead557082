/**
 * What a command does before it loads anything else: defers the SDK's serializer dependencies
 * (offline/deferred-modules.ts). Imported first by every command (cli/*.ts) and by the plan worker;
 * an import statement runs in order, so the modules imported after it find the stand-ins.
 */
import { deferModules } from "./deferred-modules";

deferModules();
