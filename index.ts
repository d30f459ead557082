// The Pulumi program (`pulumi up`, `pulumi preview`): everything lives in lib/program.ts so that
// the offline plan and the tests run exactly this.
import { declarePlatform } from "./lib/program";

export = declarePlatform();
