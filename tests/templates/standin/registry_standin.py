"""Stand-in for a rendered service's registry.py (its only door to MLflow and S3), for tests.

MLflow and boto3 are not installed where the platform's tests run, so tests/templates/
entry-points.test.ts runs the real entry points with this module in place of
<package>.registry (injected by run_entry.py). It has the same functions and keeps its state in
the directory named by REGISTRY_STANDIN_DIR (state.json plus pickled models), so that training
and batch prediction, run as separate processes, see the same registry.

It is not a mock that accepts everything: it enforces the rules of Models in Unity Catalog that
the entry points must respect, each raising the message the real system raises:
- aliases exist only in the Unity Catalog registry (registry URI databricks-uc);
- registered model names are three-level: catalog.schema.model;
- a model version needs a signature with inputs and outputs;
- an alias or a tag can only be set on a version that exists;
- alias names follow MLflow's rules.
The sources are cited beside each rule. File paths are in github.com/mlflow/mlflow.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

UNITY_CATALOG = "databricks-uc"
ARTIFACT_PATH = "model"


class MlflowException(Exception):
    """Shaped like mlflow.exceptions.MlflowException: a message and an error code name."""

    def __init__(self, message: str, error_code: str = "INTERNAL_ERROR") -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


@dataclass(frozen=True)
class Version:
    name: str
    version: str
    run_id: str | None
    tags: dict[str, str] = field(default_factory=dict)


# Process-wide settings, like mlflow.set_tracking_uri / set_registry_uri.
_settings: dict[str, str | None] = {"registry_uri": None, "tracking_uri": None}
_active_run: list[str] = []


# ---------------------------------------------------------------------------- state on disk


def _root() -> Path:
    root = os.environ.get("REGISTRY_STANDIN_DIR")
    if not root:
        raise RuntimeError("REGISTRY_STANDIN_DIR is not set: the stand-in keeps its state there")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _load_state() -> dict[str, Any]:
    file = _root() / "state.json"
    if not file.exists():
        return {"runs": {}, "models": {}, "calls": [], "config": {}}
    return json.loads(file.read_text())


def _save_state(state: dict[str, Any]) -> None:
    file = _root() / "state.json"
    temporary = file.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True))
    temporary.replace(file)


def _record(state: dict[str, Any], call: str, *args: Any) -> None:
    state["calls"].append([call, *[str(a) for a in args]])


# ---------------------------------------------------------------------------- the rules


def registry_uri() -> str:
    """The effective registry URI, resolved as MLflow resolves it.

    mlflow/tracking/_model_registry/utils.py, get_registry_uri: the URI set with
    mlflow.set_registry_uri, else MLFLOW_REGISTRY_URI, else the tracking URI. On a Databricks
    job (MLFLOW_TRACKING_URI=databricks) that default is "databricks": the workspace registry.
    """
    return (
        _settings["registry_uri"]
        or os.environ.get("MLFLOW_REGISTRY_URI")
        or _settings["tracking_uri"]
        or os.environ.get("MLFLOW_TRACKING_URI")
        or "file:./mlruns"
    )


def _require_unity_catalog_for_aliases(method: str, message: str | None = None) -> None:
    """Aliases exist only in Unity Catalog.

    mlflow/store/model_registry/databricks_workspace_model_registry_rest_store.py:
    DatabricksWorkspaceModelRegistryRestStore (registry URI "databricks") overrides
    set_registered_model_alias, delete_registered_model_alias and get_model_version_by_alias
    with _raise_unsupported_method, whose message is reproduced here word for word.
    """
    uri = registry_uri()
    if uri == UNITY_CATALOG:
        return
    if uri == "databricks" or uri.startswith("databricks://"):
        messages = [
            f"Method '{method}' is unsupported for models in the Workspace Model Registry. "
            f"Upgrade to Models in Unity Catalog to access the latest features. You can configure "
            f"the MLflow Python client to access models in Unity Catalog by running "
            f"mlflow.set_registry_uri('databricks-uc') before accessing models.",
        ]
        if message is not None:
            messages.append(message)
        messages.append("See Databricks docs for more information.")
        raise MlflowException(" ".join(messages))
    raise RuntimeError(
        f"the stand-in models the Unity Catalog registry only, not registry URI {uri!r}"
    )


# Databricks SQL reference, "Names" (docs.databricks.com/en/sql/language-manual/
# sql-ref-names.html): Unity Catalog object names are at most 255 characters and may not
# contain a period, a space, a forward slash, ASCII control characters (00-1F) or DELETE (7F).
_BAD_NAME_CHARACTERS = re.compile(r"[. /\x00-\x1f\x7f]")


def _full_name(name: str) -> str:
    """The three-level name catalog.schema.model, as Unity Catalog stores it (lowercase).

    Databricks, "Manage model lifecycle in Unity Catalog": models are registered under a
    three-level name <catalog>.<schema>.<model>. The UC server refuses a shorter name with a
    message asking to "specify all three levels", which
    mlflow/store/_unity_catalog/registry/rest_store.py (create_registered_model) detects to
    add the hint reproduced here. (MLflow can complete a name from the Spark session's current
    catalog and schema, get_full_name_from_sc; the jobs always pass the full name.)
    """
    parts = name.split(".")
    if len(parts) != 3 or not all(parts):
        raise MlflowException(
            f"Invalid registered model name '{name}': specify all three levels of the name"
            " (<catalog>.<schema>.<model>). If you are trying to use the legacy Workspace Model"
            " Registry, instead of the recommended Unity Catalog Model Registry, set the Model"
            " Registry URI to 'databricks' (legacy) instead of 'databricks-uc' (recommended).",
            "INVALID_PARAMETER_VALUE",
        )
    for part in parts:
        if len(part) > 255 or _BAD_NAME_CHARACTERS.search(part):
            raise MlflowException(
                f"Invalid registered model name '{name}': '{part}' is longer than 255"
                " characters or contains a space, a slash or a control character",
                "INVALID_PARAMETER_VALUE",
            )
    return name.lower()


# mlflow/utils/validation.py: _REGISTERED_MODEL_ALIAS_REGEX, _BAD_ALIAS_CHARACTERS_MESSAGE,
# MAX_REGISTERED_MODEL_ALIAS_LENGTH and _REGISTERED_MODEL_ALIAS_VERSION_REGEX.
_ALIAS = re.compile(r"^[\w\-]*$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")


def _validate_alias(alias: str) -> None:
    """mlflow/utils/validation.py, _validate_model_alias_name (messages word for word)."""
    if alias is None or alias == "":
        raise MlflowException(
            "Registered model alias name cannot be empty.", "INVALID_PARAMETER_VALUE"
        )
    if not _ALIAS.match(alias):
        raise MlflowException(
            f"Invalid alias name: '{alias}'. Names may only contain alphanumerics,"
            " underscores (_), and dashes (-).",
            "INVALID_PARAMETER_VALUE",
        )
    if len(alias) > 255:
        raise MlflowException(
            "'Registered model alias name' exceeds the maximum length of 255 characters",
            "INVALID_PARAMETER_VALUE",
        )
    if alias.lower() == "latest":
        raise MlflowException(
            "'latest' alias name (case insensitive) is reserved.", "INVALID_PARAMETER_VALUE"
        )
    if _VERSION_ALIAS.match(alias):
        raise MlflowException(
            f"Version alias name '{alias}' is reserved.", "INVALID_PARAMETER_VALUE"
        )


# mlflow/utils/validation.py: validate_param_and_metric_name (tag keys reuse it),
# MAX_MODEL_REGISTRY_TAG_KEY_LENGTH = 250, MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH = 5000.
_TAG_KEY = re.compile(r"^[/\w.\- :]*$")


def _validate_version_tag(key: str, value: str) -> None:
    """mlflow/utils/validation.py, _validate_model_version_tag."""
    if not key or not _TAG_KEY.match(key) or len(key) > 250:
        raise MlflowException(f"Invalid tag key {key!r}", "INVALID_PARAMETER_VALUE")
    if not isinstance(value, str) or len(value) > 5000:
        raise MlflowException(
            f"Invalid value for tag {key!r}: a string of at most 5000 characters",
            "INVALID_PARAMETER_VALUE",
        )


def _model_version(state: dict[str, Any], full_name: str, version: str) -> dict[str, Any]:
    """The version's record, or MLflow's "not found" error.

    mlflow/store/model_registry/sqlalchemy_store.py: set_registered_model_alias and
    set_model_version_tag look the version up first (_get_sql_model_version), which raises
    "Model Version (name=..., version=...) not found" with RESOURCE_DOES_NOT_EXIST.
    """
    model = state["models"].get(full_name)
    if model is None or str(version) not in model["versions"]:
        raise MlflowException(
            f"Model Version (name={full_name}, version={version}) not found",
            "RESOURCE_DOES_NOT_EXIST",
        )
    return model["versions"][str(version)]


def _signature_of(sample_input: Any, sample_output: Any) -> dict[str, Any] | None:
    """What mlflow.models.infer_signature would record: inputs, and outputs when given."""
    if sample_input is None:
        return None

    def schema(sample: Any) -> list[list[str]]:
        if isinstance(sample, pd.DataFrame):
            return [[str(c), str(t)] for c, t in sample.dtypes.items()]
        if isinstance(sample, pd.Series):
            return [[str(sample.name), str(sample.dtype)]]
        array = getattr(sample, "dtype", None)
        return [["", str(array) if array is not None else type(sample).__name__]]

    return {
        "inputs": schema(sample_input),
        "outputs": schema(sample_output) if sample_output is not None else None,
    }


def _validate_signature(model: dict[str, Any] | None) -> None:
    """mlflow/store/_unity_catalog/registry/rest_store.py, UcModelRegistryStore.

    create_model_version calls _validate_model_signature, which raises "Model passed for
    registration did not contain any signature metadata." when the model has no signature and
    "Model passed for registration contained a signature that includes only inputs." when it
    has no outputs (those sentences word for word; the documentation link that follows them
    differs between MLflow versions); _load_model fails first when the source holds no model.
    """
    if model is None:
        raise MlflowException(
            "Unable to load model metadata. Ensure the source path of the model being"
            " registered points to a valid MLflow model directory (see"
            " https://mlflow.org/docs/latest/models.html#storage-format) containing a model"
            " signature (https://mlflow.org/docs/latest/models.html#model-signature)"
            " specifying both input and output type specifications."
        )
    explanation = (
        "All models in the Unity Catalog must be logged with a model signature containing"
        " both input and output type specifications. See"
        " https://mlflow.org/docs/latest/models.html#model-signature for details on how to"
        " log a model with a signature"
    )
    signature = model.get("signature")
    if signature is None:
        raise MlflowException(
            "Model passed for registration did not contain any signature metadata. " + explanation
        )
    if signature.get("outputs") is None:
        raise MlflowException(
            "Model passed for registration contained a signature that includes only inputs. "
            + explanation
        )


# ---------------------------------------------------------------------------- the API


def configure(experiment_path: str) -> None:
    """Same resolution as registry.configure: Unity Catalog unless MLFLOW_REGISTRY_URI says."""
    tracking_uri = os.environ.get("MLFLOW_TRACKING_URI")
    if tracking_uri:
        _settings["tracking_uri"] = tracking_uri
    _settings["registry_uri"] = os.environ.get("MLFLOW_REGISTRY_URI") or UNITY_CATALOG
    state = _load_state()
    state["config"] = {
        "tracking_uri": tracking_uri,
        "registry_uri": _settings["registry_uri"],
        "experiment": os.environ.get("MLFLOW_EXPERIMENT_ID") or experiment_path,
    }
    _record(state, "configure", _settings["registry_uri"])
    _save_state(state)


@contextmanager
def start_run(tags: Mapping[str, str]) -> Iterator[str]:
    run_id = uuid.uuid4().hex
    state = _load_state()
    state["runs"][run_id] = {
        "tags": dict(tags),
        "params": {},
        "metrics": {},
        "model": None,
        "status": "RUNNING",
    }
    _record(state, "start_run", run_id)
    _save_state(state)
    _active_run.append(run_id)
    status = "FAILED"
    try:
        yield run_id
        status = "FINISHED"
    finally:
        _active_run.pop()
        state = _load_state()
        state["runs"][run_id]["status"] = status
        _save_state(state)


def _current_run(state: dict[str, Any]) -> dict[str, Any]:
    if not _active_run:
        raise MlflowException("no active run: call start_run first")
    return state["runs"][_active_run[-1]]


def log_params(params: Mapping[str, Any]) -> None:
    state = _load_state()
    _current_run(state)["params"].update({k: str(v) for k, v in params.items()})
    _save_state(state)


def log_metrics(metrics: Mapping[str, float]) -> None:
    state = _load_state()
    _current_run(state)["metrics"].update({k: float(v) for k, v in metrics.items()})
    _save_state(state)


def log_model(model: Any, flavor: str, sample_input: Any, sample_output: Any) -> None:
    state = _load_state()
    run = _current_run(state)
    artifact = _root() / "artifacts" / _active_run[-1] / ARTIFACT_PATH
    artifact.parent.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "write"):
        # Spark ML models hold JVM objects: saved with Spark's own writer (where PySpark runs).
        model.write().overwrite().save(str(artifact))
    else:
        artifact.write_bytes(pickle.dumps(model))
    run["model"] = {
        "flavor": flavor,
        "path": str(artifact),
        "signature": _signature_of(sample_input, sample_output),
    }
    _record(state, "log_model", flavor)
    _save_state(state)


def register(run_id: str, name: str, tags: Mapping[str, str]) -> Version:
    full_name = _full_name(name)
    state = _load_state()
    run = state["runs"].get(run_id)
    if run is None:
        raise MlflowException(f"Run '{run_id}' not found", "RESOURCE_DOES_NOT_EXIST")
    _validate_signature(run["model"])
    for key, value in tags.items():
        _validate_version_tag(key, value)
    model = state["models"].setdefault(full_name, {"versions": {}, "aliases": {}})
    version = str(len(model["versions"]) + 1)
    model["versions"][version] = {
        "run_id": run_id,
        "tags": dict(tags),
        "model": run["model"],
    }
    _record(state, "register", full_name, version)
    _save_state(state)
    return Version(full_name, version, run_id, dict(tags))


def champion(name: str, alias: str = "champion") -> Version | None:
    """Like registry.champion: None only when the alias or the model does not exist."""
    _require_unity_catalog_for_aliases(
        "get_model_version_by_alias",
        "If attempting to load a model version by alias via a URI of the form "
        "'models:/model_name@alias_name', configure the MLflow client to target Unity Catalog "
        "and try again.",
    )
    full_name = _full_name(name)
    _validate_alias(alias)
    state = _load_state()
    _record(state, "champion", full_name, alias)
    _save_state(state)
    model = state["models"].get(full_name)
    if model is None or alias not in model["aliases"]:
        return None
    version = model["aliases"][alias]
    record = model["versions"][version]
    return Version(full_name, version, record["run_id"], dict(record["tags"]))


def load(name: str, version: str, flavor: str) -> Any:
    full_name = _full_name(name)
    state = _load_state()
    record = _model_version(state, full_name, version)
    if record["model"]["flavor"] != flavor:
        # mlflow/utils/model_utils.py, _get_flavor_configuration.
        raise MlflowException(
            f'Model does not have the "{flavor}" flavor', "RESOURCE_DOES_NOT_EXIST"
        )
    _record(state, "load", full_name, version)
    _save_state(state)
    if Path(record["model"]["path"]).is_dir():
        from pyspark.ml import PipelineModel

        return PipelineModel.load(record["model"]["path"])
    return pickle.loads(Path(record["model"]["path"]).read_bytes())


def set_alias(name: str, alias: str, version: str) -> None:
    _require_unity_catalog_for_aliases("set_registered_model_alias")
    full_name = _full_name(name)
    _validate_alias(alias)
    state = _load_state()
    _model_version(state, full_name, version)
    state["models"][full_name]["aliases"][alias] = str(version)
    _record(state, "set_alias", full_name, alias, version)
    _save_state(state)


def set_version_tag(name: str, version: str, key: str, value: str) -> None:
    full_name = _full_name(name)
    _validate_version_tag(key, value)
    state = _load_state()
    _model_version(state, full_name, version)["tags"][key] = value
    _record(state, "set_version_tag", full_name, version, key)
    _save_state(state)


def _local(uri: str) -> str:
    if uri.startswith("s3://"):
        raise RuntimeError(f"the stand-in reads and writes local files only, not {uri}")
    return uri


def read_table(uri: str) -> pd.DataFrame:
    path = _local(uri)
    return pd.read_csv(path) if path.lower().endswith(".csv") else pd.read_parquet(path)


def write_table(frame: pd.DataFrame, uri: str) -> None:
    target = Path(_local(uri))
    target.parent.mkdir(parents=True, exist_ok=True)
    if uri.lower().endswith(".csv"):
        frame.to_csv(target, index=False)
    else:
        frame.to_parquet(target, index=False)
