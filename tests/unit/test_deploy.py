"""The container image and the Kubernetes manifests, checked by reading them (no Docker engine or
cluster is needed): non-root, health checks, hash-checked installs, probes, replicas, and secrets
that only ever arrive by reference."""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBE = DEPLOY / "kubernetes"
SECRETISH = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|WEBHOOK|STATE|API_?KEY", re.I)
URL_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:[^@\s/]+@")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    stage: int


def dockerfile() -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped, each with the
    index of the stage (FROM) it belongs to."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stage += 1
        instructions.append(Instruction(keyword.upper(), args.strip(), stage))
    return instructions


def runtime_stage() -> list[Instruction]:
    instructions = dockerfile()
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def only(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in instructions if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


def test_image_is_multi_stage_on_slim_python_311() -> None:
    """A build stage and a runtime stage, both from the pinned slim Python 3.11 image."""
    instructions = dockerfile()
    args = {
        i.args.split("=", 1)[0]: i.args.split("=", 1)[1]
        for i in instructions
        if i.keyword == "ARG" and "=" in i.args
    }
    froms = [i.args for i in instructions if i.keyword == "FROM"]
    assert len(froms) >= 2
    for source in froms:
        image = source.split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        assert image.startswith("python:3.11-slim"), image


def test_dependencies_are_installed_from_the_lock_with_hashes() -> None:
    """Every pip install of dependencies is hash-checked and reads a selection of
    requirements.lock; koppel's own wheel is installed without resolving anything."""
    instructions = dockerfile()
    copies = " ".join(i.args for i in instructions if i.keyword == "COPY")
    assert "requirements.lock" in copies
    runs = " && ".join(i.args for i in instructions if i.keyword == "RUN")
    installs = [part.strip() for part in runs.split("&&") if "pip install" in part]
    assert installs
    assert "runtime_requirements.py requirements.lock" in runs
    for install in installs:
        words = shlex.split(install)
        if "-r" in words:
            assert "--require-hashes" in words, install
        else:
            assert "--no-deps" in words, install
            assert words[-1].endswith(".whl"), install


def test_build_stage_compiles_the_decoder_against_the_locked_lxml() -> None:
    """The build stage has a C compiler, setup.py, and setuptools, Cython and lxml from the lock
    (the lxml the runtime installs too); the build fails unless the compiled MplusKASSA decoder
    imports; the runtime stage gets no compiler."""
    build = [i for i in dockerfile() if i.stage == 0]
    runs = " && ".join(i.args for i in build if i.keyword == "RUN")
    assert "gcc" in runs
    assert "setup.py" in " ".join(i.args for i in build if i.keyword == "COPY")
    selection = re.search(r"runtime_requirements\.py ((?:--only \S+\s+)+)requirements\.lock", runs)
    assert selection, runs
    only = set(re.findall(r"--only (\S+)", selection.group(1)))
    assert only == {"setuptools", "cython", "lxml"}
    selector = _selector()
    entries = selector.parse_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert {entry.name for entry in selector.select(entries, only)} >= only
    assert "soap.COMPILED" in runs
    assert "gcc" not in " ".join(i.args for i in runtime_stage() if i.keyword == "RUN")


def test_runtime_runs_as_a_fixed_non_root_user() -> None:
    """The last USER of the runtime stage is a numeric, non-zero UID (verifiable by
    Kubernetes' runAsNonRoot) and it is the UID the Deployment runs as."""
    users = [i for i in runtime_stage() if i.keyword == "USER"]
    assert users
    uid = users[-1].args.split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0
    pod = deployment()["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsUser"] == int(uid)


def test_healthcheck_asks_healthz_with_python() -> None:
    """HEALTHCHECK uses Python's urllib on /healthz (slim images have no curl or wget)."""
    check = only(runtime_stage(), "HEALTHCHECK").args
    command = json.loads(check[check.index("CMD") + 3 :].strip())
    assert command[0] == "python"
    assert "urllib.request" in command[-1]
    assert "http://127.0.0.1:8080/healthz" in command[-1]
    cmd = json.loads(only(runtime_stage(), "CMD").args)
    assert cmd[cmd.index("--listen") + 1].endswith(":8080")  # the port the check asks
    assert "curl" not in check
    assert "wget" not in check


def test_entrypoint_is_koppel_run_listening_on_8080() -> None:
    """ENTRYPOINT is `koppel run` (exec form, so SIGTERM reaches it); CMD listens on 8080."""
    runtime = runtime_stage()
    assert json.loads(only(runtime, "ENTRYPOINT").args) == ["koppel", "run"]
    cmd = json.loads(only(runtime, "CMD").args)
    assert cmd[cmd.index("--listen") + 1] == "0.0.0.0:8080"
    assert only(runtime, "EXPOSE").args == "8080"


def test_state_lives_in_a_volume() -> None:
    """The default SQLite state file is inside the declared volume, not in the image layer."""
    runtime = runtime_stage()
    volume = json.loads(only(runtime, "VOLUME").args)[0]
    env = " ".join(i.args for i in runtime if i.keyword == "ENV")
    match = re.search(r"KOPPEL_STATE=sqlite:///(\S+)", env)
    assert match is not None
    assert match.group(1).startswith(volume + "/")


def test_no_secret_is_baked_into_the_image() -> None:
    """No ENV or ARG names a secret, nothing copies a .env or key file, no URL has a password."""
    for instruction in dockerfile():
        if instruction.keyword in ("ENV", "ARG"):
            names = re.findall(r"(\w+)=", instruction.args)
            assert not [n for n in names if SECRETISH.search(n) and n != "KOPPEL_STATE"], names
        if instruction.keyword in ("COPY", "ADD"):
            assert not re.search(r"\.env|\.pem|\.key|id_rsa|secret", instruction.args, re.I)
    assert not URL_WITH_PASSWORD.search((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_dockerignore_lets_in_exactly_what_the_build_copies() -> None:
    """The context is an allow-list: everything is ignored first, each COPY source is let back
    in (a missing one would break the build), and .env, .git, .koppel and .venv are not."""
    patterns = _dockerignore()
    assert patterns[0] == "*"
    allowed = [p[1:] for p in patterns if p.startswith("!")]
    for instruction in dockerfile():
        if instruction.keyword != "COPY" or instruction.args.startswith("--from"):
            continue
        for source in instruction.args.split()[:-1]:
            assert source in allowed, f"COPY {source} is excluded by .dockerignore"
    for private in (".env", ".git", ".koppel", ".venv", "tests"):
        assert not any(a == private or a.startswith(private + "/") for a in allowed)


# --- the runtime selection of the lock file --------------------------------------------------


def _selector() -> Any:
    sys.path.insert(0, str(DEPLOY))
    try:
        import runtime_requirements
    finally:
        sys.path.remove(str(DEPLOY))
    return runtime_requirements


def _runtime_lock() -> dict[str, str]:
    selector = _selector()
    entries = selector.parse_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    roots = selector.runtime_names((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {entry.name: entry.text for entry in selector.select(entries, roots)}


def test_runtime_lock_leaves_out_the_development_tools() -> None:
    """The image gets the run-time dependencies, pinned and hashed, and no test or lint tool."""
    selected = _runtime_lock()
    for needed in ("httpx", "starlette", "uvicorn", "sqlalchemy", "psycopg", "psycopg-binary"):
        assert needed in selected
    for tool in ("pytest", "mypy", "ruff", "hypothesis", "import-linter", "check-jsonschema"):
        assert tool not in selected
    for name, text in selected.items():
        assert "==" in text.splitlines()[0], name
        assert "--hash=sha256:" in text, name


def _closure(requirement: Requirement, seen: set[str]) -> None:
    name = _selector().normalise(requirement.name)
    if name in seen:
        return
    seen.add(name)
    for text in metadata.requires(requirement.name) or []:
        child = Requirement(text)
        extras = {""} | requirement.extras
        if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in extras):
            _closure(child, seen)


def test_runtime_lock_covers_what_the_installed_packages_require() -> None:
    """Walking the installed packages' own metadata from pyproject's dependencies (extras and
    markers included) finds nothing outside the selection, so the hash-checked install in the
    image cannot miss a dependency."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed: set[str] = set()
    for text in project["dependencies"]:
        _closure(Requirement(text), needed)
    assert needed <= set(_runtime_lock())


SMALL_LOCK = """\
alpha==1.0 \\
    --hash=sha256:aa
    # via koppel (pyproject.toml)
beta-lib==2.0 \\
    --hash=sha256:bb
    # via
    #   alpha
    #   pytest
gamma==3.0 \\
    --hash=sha256:cc
    # via beta-lib
pytest==9.0 \\
    --hash=sha256:dd
    # via koppel (pyproject.toml)
"""


def test_selection_follows_via_annotations_transitively() -> None:
    """From ``alpha`` the walk keeps beta-lib (required by alpha, and by a dev tool) and gamma
    (required by beta-lib), verbatim with hashes, and leaves the dev tool out; an unknown root
    is refused with the command that fixes it."""
    selector = _selector()
    entries = selector.parse_lock(SMALL_LOCK)
    kept = selector.select(entries, {"alpha"})
    assert [entry.name for entry in kept] == ["alpha", "beta-lib", "gamma"]
    assert kept[1].text.startswith("beta-lib==2.0 \\\n    --hash=sha256:bb\n")
    assert selector.runtime_names('[project]\ndependencies = ["Beta_Lib[x]>=2"]') == {"beta-lib"}
    with pytest.raises(SystemExit, match="make lock"):
        selector.select(entries, {"delta"})


def test_selection_command_writes_an_installable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command prints a header and the selected entries, ready for ``pip -r``."""
    (tmp_path / "requirements.lock").write_text(SMALL_LOCK, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\ndependencies = ["alpha"]\n', encoding="utf-8"
    )
    lock, project = str(tmp_path / "requirements.lock"), str(tmp_path / "pyproject.toml")
    assert _selector().main([lock, project]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Selected from requirements.lock")
    assert "gamma==3.0" in out
    assert "pytest==" not in out
    assert _selector().main(["--only", "pytest", lock, project]) == 0
    assert "pytest==9.0" in capsys.readouterr().out


# --- Kubernetes ---------------------------------------------------------------------------


def manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    yaml = YAML(typ="safe")
    for path in sorted(KUBE.glob("*.yaml")):
        for document in yaml.load_all(path.read_text(encoding="utf-8")):
            if document:
                yield path, document


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for path, doc in manifests() if doc["kind"] == kind]


def deployment() -> dict[str, Any]:
    (found,) = of_kind("Deployment")
    return found


def container() -> dict[str, Any]:
    (found,) = deployment()["spec"]["template"]["spec"]["containers"]
    return found


def test_deployment_runs_several_replicas() -> None:
    """More than one replica (they share flows through PostgreSQL leases)."""
    assert deployment()["spec"]["replicas"] > 1


def test_probes_use_healthz_and_readyz() -> None:
    """Liveness (and startup) on /healthz, readiness on /readyz, on the container's port."""
    main = container()
    ports = {port["name"]: port["containerPort"] for port in main["ports"]}
    assert ports["http"] == 8080
    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert main["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert main[probe]["httpGet"]["port"] in ("http", 8080)


def test_pod_is_locked_down() -> None:
    """Non-root, no privilege escalation, read-only root file system with writable emptyDirs
    for the work directory and /tmp, every capability dropped, resources set."""
    pod = deployment()["spec"]["template"]["spec"]
    main = container()
    assert pod["securityContext"]["runAsNonRoot"] is True
    context = main["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert "add" not in context["capabilities"]
    empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    mounts = {m["mountPath"]: m["name"] for m in main["volumeMounts"]}
    assert mounts["/tmp"] in empty_dirs
    work_dir = main["args"][main["args"].index("--workdir") + 1]
    (mount,) = [path for path in mounts if work_dir == path or work_dir.startswith(path + "/")]
    assert mounts[mount] in empty_dirs
    assert main["resources"]["requests"]["memory"]
    assert main["resources"]["limits"]["memory"]
    assert pod["automountServiceAccountToken"] is False


def test_secrets_arrive_only_by_reference() -> None:
    """Every secret-looking variable comes from a secretKeyRef, tenant credentials from an
    envFrom secretRef, the state URL from a Secret, and no variable has a literal secret."""
    main = container()
    env = {item["name"]: item for item in main["env"]}
    for name, item in env.items():
        if SECRETISH.search(name):
            assert "secretKeyRef" in item.get("valueFrom", {}), name
        assert "value" not in item or not SECRETISH.search(name), name
    assert env["KOPPEL_STATE"]["valueFrom"]["secretKeyRef"]["key"] == "state-url"
    assert any("secretRef" in source for source in main["envFrom"])
    assert all(set(source) <= {"secretRef", "configMapRef"} for source in main["envFrom"])


def test_args_only_use_variables_that_are_defined() -> None:
    """Each $(VAR) in the container args is defined in its env (else Kubernetes passes it
    through literally and koppel would clone a repository named "$(KOPPEL_REPO_URL)")."""
    main = container()
    defined = {item["name"] for item in main["env"]}
    used = {m for arg in main["args"] for m in re.findall(r"\$\((\w+)\)", arg)}
    assert used
    assert used <= defined
    config = {doc["metadata"]["name"]: doc["data"] for doc in of_kind("ConfigMap")}
    for item in main["env"]:
        ref = item.get("valueFrom", {}).get("configMapKeyRef")
        if ref is not None:
            assert ref["key"] in config[ref["name"]], ref


def _run_options() -> set[str]:
    # Through the command group, as the console script loads it (cli.run imports cli.main).
    from reconciler.cli.main import cli

    run = cli.commands["run"]
    return {opt for param in run.params for opt in param.opts if opt.startswith("--")}


def _options(words: list[str]) -> set[str]:
    return {word.split("=", 1)[0] for word in words if word.startswith("--")}


def test_arguments_are_options_koppel_run_accepts() -> None:
    """The image's default CMD, the Deployment's args and the README's `docker run` use only
    options `koppel run` has (an unknown one would stop every pod at start), and every
    ``env:NAME`` secret reference in the args names a variable the container gets."""
    accepted = _run_options()
    cmd = json.loads(only(runtime_stage(), "CMD").args)
    main = container()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (snippet,) = re.findall(r"^docker run .*?(?<!\\)$", readme, re.S | re.M)
    after_image = shlex.split(snippet.replace("\\\n", " ")).index("koppel:0.1.0") + 1
    for words in (cmd, main["args"], shlex.split(snippet.replace("\\\n", " "))[after_image:]):
        assert _options(words) <= accepted, _options(words) - accepted
    defined = {item["name"] for item in main["env"]}
    references = [arg.split(":", 1)[1] for arg in main["args"] if arg.startswith("env:")]
    assert references
    assert set(references) <= defined


def test_no_literal_secret_values_anywhere() -> None:
    """Secrets in the directory are templates with empty values and are not applied; no
    ConfigMap key looks secret; no manifest carries a URL with a password."""
    for path, doc in manifests():
        if doc["kind"] == "Secret":
            assert path.name == "secret.template.yaml"
            assert "data" not in doc
            assert all(value == "" for value in doc["stringData"].values()), path
        if doc["kind"] == "ConfigMap":
            assert not [key for key in doc["data"] if SECRETISH.search(key)]
        assert not URL_WITH_PASSWORD.search(path.read_text(encoding="utf-8")), path
    yaml = YAML(typ="safe")
    kustomization = yaml.load((KUBE / "kustomization.yaml").read_text(encoding="utf-8"))
    assert "secret.template.yaml" not in kustomization["resources"]


def test_template_secrets_match_the_references() -> None:
    """Every Secret key the Deployment references exists in the template, so the documented
    Secret is the one the pods need."""
    template = {doc["metadata"]["name"]: doc["stringData"] for doc in of_kind("Secret")}
    main = container()
    for item in main["env"]:
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if ref is not None:
            assert ref["key"] in template[ref["name"]], ref
    for source in main["envFrom"]:
        assert source["secretRef"]["name"] in template


def test_kustomization_lists_every_manifest_and_they_fit_together() -> None:
    """All manifests but the Secret template are applied by the kustomization; the Service,
    PodDisruptionBudget and NetworkPolicy select the Deployment's pods; the Service targets the
    named port; the image name is the one kustomize rewrites."""
    yaml = YAML(typ="safe")
    kustomization = yaml.load((KUBE / "kustomization.yaml").read_text(encoding="utf-8"))
    files = {p.name for p in KUBE.glob("*.yaml")} - {"kustomization.yaml", "secret.template.yaml"}
    assert set(kustomization["resources"]) == files
    labels = deployment()["spec"]["template"]["metadata"]["labels"]
    assert deployment()["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (service,) = of_kind("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    for kind in ("PodDisruptionBudget", "NetworkPolicy"):
        (doc,) = of_kind(kind)
        selector = doc["spec"].get("selector") or doc["spec"]["podSelector"]
        assert selector["matchLabels"].items() <= labels.items(), kind
    assert container()["image"] in {image["name"] for image in kustomization["images"]}


def test_readme_documents_running_it() -> None:
    """README's "Running it" names every environment variable the Deployment sets and says
    that several replicas need PostgreSQL."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Running it\n(.*?)(?=^## )", readme, re.S | re.M)
    assert match is not None
    section = match.group(1)
    for item in container()["env"]:
        assert item["name"] in section, item["name"]
    assert "PostgreSQL" in section
    assert "docker build -f deploy/Dockerfile" in section


@pytest.mark.parametrize("path", sorted(KUBE.glob("*.yaml")), ids=lambda p: p.name)
def test_every_manifest_has_kind_and_name(path: Path) -> None:
    """Each YAML document parses and names its apiVersion, kind and metadata.name."""
    yaml = YAML(typ="safe")
    for document in yaml.load_all(path.read_text(encoding="utf-8")):
        if document is None:
            continue
        assert document["apiVersion"]
        assert document["kind"]
        if document["kind"] != "Kustomization":
            assert document["metadata"]["name"]
