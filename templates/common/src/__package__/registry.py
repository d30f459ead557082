"""The service's only door to MLflow (tracking, Unity Catalog model registry) and to S3.

Managed by the ML platform. Everything else in the package goes through these functions, so
that the entry points stay short and the platform's tests can run them against a stand-in of
this module that enforces Unity Catalog's rules.

Upstream references (MLflow 2.16, the version requirements.txt pins):
- Databricks, "Manage model lifecycle in Unity Catalog"
  (https://docs.databricks.com/en/machine-learning/manage-model-lifecycle/index.html):
  the client targets Unity Catalog with mlflow.set_registry_uri("databricks-uc"); models are
  named <catalog>.<schema>.<model>; every model version needs a signature; deploy by alias.
- mlflow/store/model_registry/databricks_workspace_model_registry_rest_store.py: the legacy
  workspace registry (registry URI "databricks") raises "Method 'set_registered_model_alias'
  is unsupported for models in the Workspace Model Registry" for every alias method.
- mlflow/store/_unity_catalog/registry/rest_store.py: UcModelRegistryStore, the store behind
  "databricks-uc"; create_model_version calls _validate_model_signature, which refuses a model
  without signature ("Model passed for registration did not contain any signature metadata")
  or with inputs only.
"""

from __future__ import annotations

import importlib
import io
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

# The registry URI of Models in Unity Catalog (mlflow/tracking/_model_registry/utils.py maps
# the "databricks-uc" scheme to UcModelRegistryStore; "databricks" is the workspace registry).
UNITY_CATALOG = "databricks-uc"
# Where log_model puts the model inside the run's artifacts.
ARTIFACT_PATH = "model"


@dataclass(frozen=True)
class Version:
    """A registered model version, as the entry points need it."""

    name: str
    version: str
    run_id: str | None
    tags: dict[str, str] = field(default_factory=dict)


def _version(model_version: Any) -> Version:
    return Version(
        name=str(model_version.name),
        version=str(model_version.version),
        run_id=model_version.run_id,
        tags=dict(model_version.tags or {}),
    )


def configure(experiment_path: str) -> None:
    """Tracking and registry URIs and the experiment, from the job's environment.

    The Databricks jobs set MLFLOW_TRACKING_URI=databricks, MLFLOW_REGISTRY_URI=databricks-uc
    and MLFLOW_EXPERIMENT_ID; experiment_path is the fallback for runs outside those jobs.
    """
    tracking_uri = os.environ.get("MLFLOW_TRACKING_URI")
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    # Unity Catalog unless the environment names another registry (a local one, say);
    # "databricks" would be the workspace registry, which has no aliases.
    mlflow.set_registry_uri(os.environ.get("MLFLOW_REGISTRY_URI") or UNITY_CATALOG)
    experiment_id = os.environ.get("MLFLOW_EXPERIMENT_ID")
    if experiment_id:
        mlflow.set_experiment(experiment_id=experiment_id)
    else:
        mlflow.set_experiment(experiment_path)


@contextmanager
def start_run(tags: Mapping[str, str]) -> Iterator[str]:
    """An MLflow run with these tags; yields its run id."""
    with mlflow.start_run(tags=dict(tags)) as run:
        yield str(run.info.run_id)


def log_params(params: Mapping[str, Any]) -> None:
    mlflow.log_params(dict(params))


def log_metrics(metrics: Mapping[str, float]) -> None:
    mlflow.log_metrics(dict(metrics))


def log_model(model: Any, flavor: str, sample_input: Any, sample_output: Any) -> None:
    """Logs the model of the active run with a signature inferred from a sample.

    flavor is the MLflow flavor module ("sklearn", "spark"). Unity Catalog refuses to register
    a model without a signature that has inputs and outputs (rest_store.py,
    _validate_model_signature): sample_input is what the model takes, sample_output what its
    pyfunc predict returns for it (mlflow/models/signature.py, infer_signature).
    """
    signature = (
        infer_signature(sample_input, sample_output)
        if sample_input is not None
        else None
    )
    module = importlib.import_module(f"mlflow.{flavor}")
    module.log_model(model, artifact_path=ARTIFACT_PATH, signature=signature)


def register(run_id: str, name: str, tags: Mapping[str, str]) -> Version:
    """Registers the run's model as a new version of name (catalog.schema.model)."""
    model_version = mlflow.register_model(
        f"runs:/{run_id}/{ARTIFACT_PATH}", name, tags=dict(tags)
    )
    return _version(model_version)


def _alias_not_found(error: MlflowException) -> bool:
    """Whether the registry says that the alias (or the model itself) does not exist.

    Unity Catalog answers RESOURCE_DOES_NOT_EXIST; MLflow's own stores say
    "Registered model alias <alias> not found." with INVALID_PARAMETER_VALUE
    (mlflow/store/model_registry/file_store.py and sqlalchemy_store.py). Anything else
    (no permission, workspace registry, network) is not "no champion" and must propagate.
    """
    code = getattr(error, "error_code", "")
    if code == "RESOURCE_DOES_NOT_EXIST":
        return True
    message = str(error)
    return (
        code == "INVALID_PARAMETER_VALUE"
        and "alias" in message
        and "not found" in message
    )


def champion(name: str, alias: str = "champion") -> Version | None:
    """The version the alias points to, or None when the alias (or the model) does not exist.

    MlflowClient.get_model_version_by_alias(name, alias) (mlflow/tracking/client.py).
    """
    try:
        model_version = MlflowClient().get_model_version_by_alias(name, alias)
    except MlflowException as error:
        if _alias_not_found(error):
            return None
        raise
    return _version(model_version)


def load(name: str, version: str, flavor: str) -> Any:
    """Loads one exact version (models:/<name>/<version>) with the flavor's loader.

    Callers resolve an alias with champion() first and load that version, so that what they
    record (the version number) is the model that ran even if the alias moves meanwhile.
    """
    module = importlib.import_module(f"mlflow.{flavor}")
    return module.load_model(f"models:/{name}/{version}")


def set_alias(name: str, alias: str, version: str) -> None:
    """Points alias at version (Unity Catalog only: see the module docstring).

    MlflowClient.set_registered_model_alias(name, alias, version) (mlflow/tracking/client.py);
    alias names follow mlflow/utils/validation.py, _validate_model_alias_name.
    """
    MlflowClient().set_registered_model_alias(name, alias, version)


def set_version_tag(name: str, version: str, key: str, value: str) -> None:
    """MlflowClient.set_model_version_tag(name, version, key, value)."""
    MlflowClient().set_model_version_tag(name, version, key, value)


def _s3(uri: str) -> tuple[str, str]:
    location = urlparse(uri)
    return location.netloc, location.path.lstrip("/")


def _is_csv(uri: str) -> bool:
    return uri.lower().endswith(".csv")


def read_table(uri: str) -> pd.DataFrame:
    """A table from s3://bucket/key or a local path: CSV for .csv, Parquet otherwise."""
    if uri.startswith("s3://"):
        bucket, key = _s3(uri)
        body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        source: Any = io.BytesIO(body)
    else:
        source = uri
    return pd.read_csv(source) if _is_csv(uri) else pd.read_parquet(source)


def write_table(frame: pd.DataFrame, uri: str) -> None:
    """Writes a table to s3://bucket/key or a local path: CSV for .csv, Parquet otherwise."""
    buffer = io.BytesIO()
    if _is_csv(uri):
        frame.to_csv(buffer, index=False)
    else:
        frame.to_parquet(buffer, index=False)
    if uri.startswith("s3://"):
        bucket, key = _s3(uri)
        boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    else:
        target = Path(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(buffer.getvalue())
