/** The service repository renderer: templates/ + a resolved entry -> the repository's files. */
export { baseImageTag, BASE_IMAGE_DOCKERFILE } from "../base-image-tag";
export { AIRFLOW_CONNECTION_ID, buildContext, RenderError } from "./context";
export type { RenderOptions, TemplateContext } from "./context";
export { FILTERS, FilterError } from "./filters";
export {
  digestOf,
  managedDigest,
  managedFileDigests,
  MANAGED_TEMPLATE_PATHS,
  renderServiceRepository,
  templateSources,
  TEMPLATES_DIR,
  TEMPLATE_NAMES,
} from "./render";
export type { FileKind, RenderedFile } from "./render";
export { UndefinedVariableError } from "./strict";
