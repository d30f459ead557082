/** npm run docs: regenerates the README's reference tables from the code (see lib/reference-docs.ts). */
import * as fs from "fs";
import * as path from "path";
import { regenerate } from "../lib/reference-docs";

const readme = path.join(__dirname, "..", "README.md");
const before = fs.readFileSync(readme, "utf8");
const after = regenerate(before);
if (after !== before) {
  fs.writeFileSync(readme, after);
  process.stdout.write("README.md: reference tables updated\n");
} else {
  process.stdout.write("README.md: reference tables already up to date\n");
}
