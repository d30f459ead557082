// The Pulumi program (`pulumi up`, `pulumi preview`): everything lives in program/program.ts so that
// the offline plan and the tests run exactly this.
import { declarePlatform } from "./program/program";

export = declarePlatform();
