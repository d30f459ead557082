/** The service repository renderer: templates/ + a resolved entry -> the repository's files. */
export { baseImageTag, BASE_IMAGE_DOCKERFILE } from "../base-image-tag";
export {
  AIRFLOW_CONNECTION_ID,
  backstageLifecycle,
  buildContext,
  productionEnvironmentsOf,
  RenderError,
} from "./context";
export type { BackstageLifecycle, RenderOptions, TemplateContext } from "./context";
export { FILTERS, FilterError } from "./filters";
export {
  AIRFLOW_DAG_CONTENT_TYPE,
  AIRFLOW_DAG_TEMPLATE,
  airflowDagKey,
  airflowDagKeys,
  renderAirflowDag,
} from "./airflow";
export type { AirflowDagFile, AirflowJobIds } from "./airflow";
export {
  digestOf,
  MANAGED_TEMPLATE_PATHS,
  renderServiceRepository,
  renderTemplateFile,
  templateSources,
  TEMPLATES_DIR,
  TEMPLATE_NAMES,
} from "./render";
export type { FileKind, RenderedFile } from "./render";
export { OutputFolderError, SCAFFOLD_COMMIT, writeRenderedRepository } from "./local-repository";
export type { WriteOptions, WrittenRepository } from "./local-repository";
export { UndefinedVariableError } from "./strict";
