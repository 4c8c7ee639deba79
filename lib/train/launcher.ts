/**
 * The launcher mlspec puts around `training.command` on Vertex AI and Azure ML, so that
 * `training.metrics` mean there what they mean on SageMaker: the last match of each regex's first
 * group over the command's output. It passes every line through, starts the command under
 * torchrun for `distribution: pytorch` (as on SageMaker), and, when the command succeeds, reports what it matched:
 * - to `MLSPEC_METRICS_FILE` (JSON: metric → number), written by the chief node only;
 * - with `MLSPEC_HYPERTUNE_METRIC`, as a line of Vertex's hyperparameter-tuning metric file
 *   (`CLOUD_ML_HP_METRIC_FILE`, default /tmp/hypertune/output.metrics), which Vertex reads for
 *   the trial's objective, the format the cloudml-hypertune library writes;
 * - with `MLSPEC_MLFLOW=1`, to the job's MLflow run through MLflow's REST API
 *   (`MLFLOW_TRACKING_URI`, `MLFLOW_RUN_ID`, `MLFLOW_TRACKING_TOKEN`, which Azure ML sets in a
 *   job), where an Azure ML sweep reads its primary metric; `azureml://` becomes `https://`.
 *
 * It is Python because training images have Python and its `re` reads the regexes as SageMaker's
 * users write them; it needs nothing beyond the standard library, so the image need not know mlspec.
 * The script travels in the `MLSPEC_LAUNCH` variable and runs as `python3 -c "$MLSPEC_LAUNCH" CMD...`.
 */
export const LAUNCHER = String.raw`import json, os, re, signal, subprocess, sys, time
env = os.environ
def local(uri):
    # Vertex mounts Cloud Storage at /gcs/<bucket>/ (Cloud Storage FUSE) in custom training.
    return "/gcs/" + uri[5:] if uri.startswith("gs://") else uri
if env.get("AIP_MODEL_DIR") and not env.get("MLSPEC_MODEL_DIR"):
    env["MLSPEC_MODEL_DIR"] = local(env["AIP_MODEL_DIR"])
    env.setdefault("MLSPEC_METRICS_FILE", env["MLSPEC_MODEL_DIR"].rstrip("/").rsplit("/", 1)[0] + "/mlspec-metrics.json")
if env.get("AIP_CHECKPOINT_DIR") and not env.get("MLSPEC_CHECKPOINT_DIR"):
    env["MLSPEC_CHECKPOINT_DIR"] = local(env["AIP_CHECKPOINT_DIR"])
for name, value in list(env.items()):
    # training.env references resolved where the provider knows them only at run time.
    if "$" + "{model_dir}" in value and env.get("MLSPEC_MODEL_DIR"):
        env[name] = value.replace("$" + "{model_dir}", env["MLSPEC_MODEL_DIR"].rstrip("/"))
metrics = json.loads(env.get("MLSPEC_METRICS", "{}"))
cmd = sys.argv[1:]
chief = True
if env.get("MLSPEC_DISTRIBUTION") == "pytorch":
    nproc = env.get("MLSPEC_NPROC", "1")
    spec = json.loads(env.get("CLUSTER_SPEC", "{}"))
    if len(spec.get("cluster", {}).get("workerpool1", [])) > 0:
        # Vertex: workerpool0 is the chief, workerpool1 the other nodes (CLUSTER_SPEC).
        pools = spec["cluster"]
        task = spec["task"]
        rank = 0 if task["type"] == "workerpool0" else 1 + int(task["index"])
        master = pools["workerpool0"][0].split(":")[0]
        nodes = len(pools["workerpool0"]) + len(pools["workerpool1"])
        chief = rank == 0
        cmd = ["torchrun", "--nnodes=%d" % nodes, "--nproc_per_node=" + nproc, "--node_rank=%d" % rank, "--master_addr=" + master, "--master_port=29500", "--no-python"] + cmd
    elif env.get("MLSPEC_STARTS_PROCESSES") != "provider":
        cmd = ["torchrun", "--standalone", "--nnodes=1", "--nproc_per_node=" + nproc, "--no-python"] + cmd
if env.get("RANK") not in (None, "", "0") and env.get("MLSPEC_STARTS_PROCESSES") == "provider":
    chief = False
patterns = {name: re.compile(rx) for name, rx in metrics.items()}
found = {}
child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=1, universal_newlines=True)
for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, lambda s, f: child.send_signal(s))
for line in child.stdout:
    sys.stdout.write(line)
    sys.stdout.flush()
    for name, pattern in patterns.items():
        m = pattern.search(line)
        if m:
            try:
                found[name] = float(m.group(1))
            except (IndexError, TypeError, ValueError):
                pass
code = child.wait()
# A failed command's numbers are not results: a failed sweep trial must not become the best one.
report = chief and found and code == 0
if report:
    path = env.get("MLSPEC_METRICS_FILE")
    if path:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(found, f)
    objective = env.get("MLSPEC_HYPERTUNE_METRIC")
    if objective and objective in found:
        target = env.get("CLOUD_ML_HP_METRIC_FILE", "/tmp/hypertune/output.metrics")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "a") as f:
            f.write(json.dumps({objective: found[objective], "global_step": "0", "checkpoint_path": "", "trial": env.get("CLOUD_ML_TRIAL_ID", "0"), "timestamp": time.time()}) + "\n")
if report and env.get("MLSPEC_MLFLOW") == "1" and env.get("MLFLOW_TRACKING_URI") and env.get("MLFLOW_RUN_ID"):
    import urllib.request
    base = re.sub(r"^azureml://", "https://", env["MLFLOW_TRACKING_URI"]).rstrip("/")
    for key, value in found.items():
        body = json.dumps({"run_id": env["MLFLOW_RUN_ID"], "key": key, "value": value, "timestamp": int(time.time() * 1000), "step": 0}).encode()
        request = urllib.request.Request(base + "/api/2.0/mlflow/runs/log-metric", data=body, method="POST", headers={"Content-Type": "application/json", "Authorization": "Bearer " + env.get("MLFLOW_TRACKING_TOKEN", "")})
        try:
            urllib.request.urlopen(request, timeout=30).read()
        except Exception as e:
            sys.stderr.write("mlspec: could not log metric %s to MLflow: %s\n" % (key, e))
sys.exit(code)
`;

/** The variable that carries the launcher, and the command line that runs it around `command`. */
export const LAUNCH_ENV = 'MLSPEC_LAUNCH';
export const LAUNCH_COMMAND = ['python3', '-c', `import os; exec(os.environ["${LAUNCH_ENV}"])`];
