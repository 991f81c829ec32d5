#!/usr/bin/python3
"""The example provider (test/examples/localfs) through a resource's whole life.

The peer is python3-grpcio with stubs generated from proto/tfplugin{5,6} (protoc and
grpc_python_plugin) and python3-msgpack for the values: it launches the provider as
Terraform does (magic cookie, PLUGIN_PROTOCOL_VERSIONS, AutoMTLS with a host certificate
or plaintext), reads the handshake line and drives, on protocol 6 and 5:
schema, validate (an invalid config gives an error at its attribute path), configure,
plan create (computed attributes unknown), apply (the file appears), read (no drift; an
edit on disk shows as drift), plan update in place, apply, plan with a changed path
(requires_replace), destroy plan and apply (the file goes), import, the data source, the
function, bad msgpack (an error naming the attribute, no crash), StopProvider during a
slow apply (the apply returns with a "Provider stopped" error, a later call works), and
Controller.Shutdown (the process exits 0). The Go client (tfclient/) drives the same life
with go-plugin and go-cty; see README "Terraform values and the provider kit".
"""
import argparse
import base64
import hashlib
import importlib
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import grpc
import msgpack

COOKIE = {"TF_PLUGIN_MAGIC_COOKIE":
          "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"}
UNKNOWN = msgpack.ExtType(0, b"\x00")
failures = []
VERBOSE = False
started = []  # every provider process, killed at exit if still running


def check(name, cond, why=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + why))
    if not cond:
        failures.append(name)


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def unpack(b):
    return msgpack.unpackb(b, raw=False) if b else None


def make_host_cert(d):
    key, cert = os.path.join(d, "host.key"), os.path.join(d, "host.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/O=HashiCorp/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost",
                    "-addext", "extendedKeyUsage=clientAuth,serverAuth",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=digitalSignature,keyEncipherment,keyAgreement,keyCertSign"],
                   check=True, capture_output=True)
    return open(cert, "rb").read(), open(key, "rb").read()


class Provider:
    def __init__(self, exe, version, tls, tmp):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "PLUGIN_PROTOCOL_VERSIONS": "5,6" if version == 6 else "5"}
        env.update(COOKIE)
        self.cert = self.key = None
        if tls:
            self.cert, self.key = make_host_cert(tmp)
            env["PLUGIN_CLIENT_CERT"] = self.cert.decode()
        self.p = subprocess.Popen([exe], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(self.p)
        self.stderr = b""
        self._t = threading.Thread(target=self._err)
        self._t.start()
        self.fields = self.p.stdout.readline().decode().rstrip("\n").split("|")

    def _err(self):
        self.stderr = self.p.stderr.read()

    def channel(self):
        f = self.fields
        target = "unix:" + f[3] if f[2] == "unix" else f[3]
        opts = [("grpc.max_receive_message_length", 256 << 20),
                ("grpc.max_send_message_length", 256 << 20)]
        if not self.cert:
            return grpc.insecure_channel(target, options=opts)
        der = base64.b64decode(f[5] + "=" * (-len(f[5]) % 4))
        creds = grpc.ssl_channel_credentials(root_certificates=ssl.DER_cert_to_PEM_cert(der).encode(),
                                             private_key=self.key, certificate_chain=self.cert)
        return grpc.secure_channel(target, creds,
                                   options=opts + [("grpc.ssl_target_name_override", "localhost")])

    def finish(self):
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self._t.join()
        return self.p.returncode


def rpc(ch, pkg, method, req, resp_cls):
    call = ch.unary_unary(f"/{pkg}.Provider/{method}",
                          request_serializer=lambda m: m.SerializeToString(),
                          response_deserializer=resp_cls.FromString)
    resp = call(req, timeout=30)
    if VERBOSE:
        diags = list(getattr(resp, "diagnostics", []))
        shown = "; ".join(f"{'ERROR' if d.severity == 1 else 'WARNING'}: {d.summary}: {d.detail}"
                          + (f" (at {'.'.join(st.attribute_name or str(st.element_key_int) for st in d.attribute.steps)})"
                             if d.attribute.steps else "") for d in diags)
        print(f"     {pkg}.{method}: {shown or 'no diagnostics'}")
    return resp


def errors(diags):
    return [d for d in diags if d.severity == 1]


def file_obj(path, content, mode=None, sha=None, id_=None):
    # Every attribute, keys in any order (msgpack maps); c0 for unset ones.
    return {"content": content, "id": id_, "mode": mode, "path": path, "sha256": sha}


def lifecycle(args, pb, version, tls, tmp):
    tag = f"v{version}{'-automtls' if tls else ''}"
    pkg = f"tfplugin{version}"
    prov = Provider(args.provider, version, tls, tmp)
    check(f"{tag}: handshake", len(prov.fields) >= 5 and prov.fields[1] == str(version),
          repr(prov.fields) + prov.stderr.decode(errors="replace"))
    if len(prov.fields) < 5:
        prov.p.kill()
        prov.finish()
        return
    ch = prov.channel()
    DV = pb.DynamicValue
    v6 = version == 6
    names = {"schema": "GetProviderSchema" if v6 else "GetSchema",
             "vprov": "ValidateProviderConfig" if v6 else "PrepareProviderConfig",
             "vres": "ValidateResourceConfig" if v6 else "ValidateResourceTypeConfig",
             "vdata": "ValidateDataResourceConfig" if v6 else "ValidateDataSourceConfig",
             "conf": "ConfigureProvider" if v6 else "Configure",
             "stop": "StopProvider" if v6 else "Stop"}
    msgs = {"vprov": pb.ValidateProviderConfig if v6 else pb.PrepareProviderConfig,
            "vres": pb.ValidateResourceConfig if v6 else pb.ValidateResourceTypeConfig,
            "vdata": pb.ValidateDataResourceConfig if v6 else pb.ValidateDataSourceConfig,
            "conf": pb.ConfigureProvider if v6 else pb.Configure,
            "stop": pb.StopProvider if v6 else pb.Stop}

    # 0. Schema.
    s = rpc(ch, pkg, names["schema"], pb.GetProviderSchema.Request(), pb.GetProviderSchema.Response)
    res = s.resource_schemas["localfs_file"].block
    attrs = {a.name: a for a in res.attributes}
    check(f"{tag}: schema", not errors(s.diagnostics) and set(attrs) == {"path", "content", "mode", "sha256", "id"}
          and attrs["path"].required and attrs["sha256"].computed and attrs["mode"].optional
          and attrs["mode"].computed and attrs["path"].type == b'"string"'
          and "localfs_file" in s.data_source_schemas and "sha256" in s.functions
          and s.server_capabilities.plan_destroy, str(s))

    path = os.path.join(tmp, f"file-{tag}.txt")
    cfg = file_obj(path, "hello\n")

    # 1. Validate: good, with unknowns, and bad.
    r = rpc(ch, pkg, names["vres"], msgs["vres"].Request(type_name="localfs_file", config=DV(msgpack=pack(cfg))),
            msgs["vres"].Response)
    check(f"{tag}: validate", not r.diagnostics, str(r))
    r = rpc(ch, pkg, names["vres"], msgs["vres"].Request(
        type_name="localfs_file", config=DV(msgpack=pack(file_obj(path, UNKNOWN, UNKNOWN)))), msgs["vres"].Response)
    check(f"{tag}: validate with unknowns", not r.diagnostics, str(r))
    r = rpc(ch, pkg, names["vres"], msgs["vres"].Request(
        type_name="localfs_file", config=DV(msgpack=pack(file_obj("relative", "x", "999")))), msgs["vres"].Response)
    paths = sorted(d.attribute.steps[0].attribute_name for d in errors(r.diagnostics))
    check(f"{tag}: invalid config has errors at its paths", paths == ["mode", "path"], str(r))

    # 2. Configure.
    pconf = {"apply_delay_ms": None}
    r = rpc(ch, pkg, names["vprov"], msgs["vprov"].Request(config=DV(msgpack=pack(pconf))), msgs["vprov"].Response)
    check(f"{tag}: validate provider", not r.diagnostics, str(r))
    r = rpc(ch, pkg, names["conf"], msgs["conf"].Request(terraform_version="1.15.9", config=DV(msgpack=pack(pconf))),
            msgs["conf"].Response)
    check(f"{tag}: configure", not r.diagnostics, str(r))

    # 3. Plan create.
    proposed = file_obj(path, "hello\n")
    r = rpc(ch, pkg, "PlanResourceChange", pb.PlanResourceChange.Request(
        type_name="localfs_file", prior_state=DV(msgpack=b"\xc0"), proposed_new_state=DV(msgpack=pack(proposed)),
        config=DV(msgpack=pack(cfg))), pb.PlanResourceChange.Response)
    planned = unpack(r.planned_state.msgpack)
    check(f"{tag}: plan create leaves computed attributes unknown",
          not r.diagnostics and planned == file_obj(path, "hello\n", UNKNOWN, UNKNOWN, UNKNOWN), repr(planned))

    # 4. Apply create.
    r = rpc(ch, pkg, "ApplyResourceChange", pb.ApplyResourceChange.Request(
        type_name="localfs_file", prior_state=DV(msgpack=b"\xc0"), planned_state=r.planned_state,
        config=DV(msgpack=pack(cfg)), planned_private=r.planned_private), pb.ApplyResourceChange.Response)
    state = unpack(r.new_state.msgpack)
    digest = hashlib.sha256(b"hello\n").hexdigest()
    check(f"{tag}: apply create writes the file",
          not r.diagnostics and state == file_obj(path, "hello\n", "0644", digest, path)
          and open(path).read() == "hello\n" and oct(os.stat(path).st_mode & 0o777) == "0o644", repr(state))
    private = r.private

    # 5. Upgrade + read without drift, then drift.
    import json
    r = rpc(ch, pkg, "UpgradeResourceState", pb.UpgradeResourceState.Request(
        type_name="localfs_file", version=0, raw_state=pb.RawState(json=json.dumps(state).encode())),
        pb.UpgradeResourceState.Response)
    check(f"{tag}: upgrade state", not r.diagnostics and unpack(r.upgraded_state.msgpack) == state, str(r))
    r = rpc(ch, pkg, "ReadResource", pb.ReadResource.Request(
        type_name="localfs_file", current_state=DV(msgpack=pack(state)), private=private), pb.ReadResource.Response)
    check(f"{tag}: read, no drift", not r.diagnostics and unpack(r.new_state.msgpack) == state
          and r.private == private, str(r))
    with open(path, "w") as f:
        f.write("edited\n")
    r = rpc(ch, pkg, "ReadResource", pb.ReadResource.Request(
        type_name="localfs_file", current_state=DV(msgpack=pack(state))), pb.ReadResource.Response)
    drifted = unpack(r.new_state.msgpack)
    check(f"{tag}: read detects drift", drifted["content"] == "edited\n"
          and drifted["sha256"] == hashlib.sha256(b"edited\n").hexdigest(), repr(drifted))

    # 6. Plan update in place (content), apply.
    cfg2 = file_obj(path, "second\n")
    proposed2 = dict(drifted, content="second\n")
    r = rpc(ch, pkg, "PlanResourceChange", pb.PlanResourceChange.Request(
        type_name="localfs_file", prior_state=DV(msgpack=pack(drifted)), proposed_new_state=DV(msgpack=pack(proposed2)),
        config=DV(msgpack=pack(cfg2)), prior_private=private), pb.PlanResourceChange.Response)
    planned = unpack(r.planned_state.msgpack)
    check(f"{tag}: plan update in place", not r.diagnostics and not r.requires_replace
          and planned["sha256"] == UNKNOWN and planned["mode"] == "0644", repr(planned))
    r = rpc(ch, pkg, "ApplyResourceChange", pb.ApplyResourceChange.Request(
        type_name="localfs_file", prior_state=DV(msgpack=pack(drifted)), planned_state=r.planned_state,
        config=DV(msgpack=pack(cfg2)), planned_private=r.planned_private), pb.ApplyResourceChange.Response)
    state = unpack(r.new_state.msgpack)
    check(f"{tag}: apply update", not r.diagnostics and open(path).read() == "second\n"
          and state["sha256"] == hashlib.sha256(b"second\n").hexdigest(), repr(state))

    # 7. A new path requires replacement.
    path2 = path + ".moved"
    proposed3 = dict(state, path=path2)
    r = rpc(ch, pkg, "PlanResourceChange", pb.PlanResourceChange.Request(
        type_name="localfs_file", prior_state=DV(msgpack=pack(state)), proposed_new_state=DV(msgpack=pack(proposed3)),
        config=DV(msgpack=pack(file_obj(path2, "second\n")))), pb.PlanResourceChange.Response)
    rr = [[s.attribute_name for s in p.steps] for p in r.requires_replace]
    check(f"{tag}: changed path requires replace", not r.diagnostics and rr == [["path"]], str(r))

    # 8. Destroy: plan (plan_destroy) then apply with planned null.
    r = rpc(ch, pkg, "PlanResourceChange", pb.PlanResourceChange.Request(
        type_name="localfs_file", prior_state=DV(msgpack=pack(state)), proposed_new_state=DV(msgpack=b"\xc0"),
        config=DV(msgpack=b"\xc0")), pb.PlanResourceChange.Response)
    check(f"{tag}: plan destroy is null", not r.diagnostics and r.planned_state.msgpack == b"\xc0", str(r))
    r = rpc(ch, pkg, "ApplyResourceChange", pb.ApplyResourceChange.Request(
        type_name="localfs_file", prior_state=DV(msgpack=pack(state)), planned_state=DV(msgpack=b"\xc0"),
        config=DV(msgpack=b"\xc0")), pb.ApplyResourceChange.Response)
    check(f"{tag}: apply destroy removes the file", not r.diagnostics and r.new_state.msgpack == b"\xc0"
          and not os.path.exists(path), str(r))
    r = rpc(ch, pkg, "ReadResource", pb.ReadResource.Request(
        type_name="localfs_file", current_state=DV(msgpack=pack(state))), pb.ReadResource.Response)
    check(f"{tag}: read after destroy is null", r.new_state.msgpack == b"\xc0", str(r))

    # 9. Import.
    with open(path, "w") as f:
        f.write("imported\n")
    r = rpc(ch, pkg, "ImportResourceState", pb.ImportResourceState.Request(type_name="localfs_file", id=path),
            pb.ImportResourceState.Response)
    imp = unpack(r.imported_resources[0].state.msgpack) if r.imported_resources else None
    check(f"{tag}: import", not r.diagnostics and len(r.imported_resources) == 1
          and imp["content"] == "imported\n" and imp["id"] == path, str(r))

    # 10. Data source.
    r = rpc(ch, pkg, names["vdata"], msgs["vdata"].Request(
        type_name="localfs_file", config=DV(msgpack=pack({"content": None, "path": path, "sha256": None}))),
        msgs["vdata"].Response)
    check(f"{tag}: validate data source", not r.diagnostics, str(r))
    r = rpc(ch, pkg, "ReadDataSource", pb.ReadDataSource.Request(
        type_name="localfs_file", config=DV(msgpack=pack({"content": None, "path": path, "sha256": None}))),
        pb.ReadDataSource.Response)
    ds = unpack(r.state.msgpack)
    check(f"{tag}: data source", not r.diagnostics and ds == {
        "content": "imported\n", "path": path, "sha256": hashlib.sha256(b"imported\n").hexdigest()}, repr(ds))

    # 11. Function.
    r = rpc(ch, pkg, "CallFunction", pb.CallFunction.Request(name="sha256", arguments=[DV(msgpack=pack("abc"))]),
            pb.CallFunction.Response)
    check(f"{tag}: function", not r.HasField("error") and unpack(r.result.msgpack) == hashlib.sha256(b"abc").hexdigest(),
          str(r))

    # 12. Bad input: a number where a string belongs, truncated msgpack, unknown type.
    r = rpc(ch, pkg, "PlanResourceChange", pb.PlanResourceChange.Request(
        type_name="localfs_file", prior_state=DV(msgpack=b"\xc0"),
        proposed_new_state=DV(msgpack=pack(file_obj(path, 42))), config=DV(msgpack=pack(file_obj(path, 42)))),
        pb.PlanResourceChange.Response)
    e = errors(r.diagnostics)
    check(f"{tag}: type mismatch names the attribute", len(e) == 1 and e[0].detail == "string is required"
          and [s.attribute_name for s in e[0].attribute.steps] == ["content"], str(r))
    r = rpc(ch, pkg, "ReadResource", pb.ReadResource.Request(
        type_name="localfs_file", current_state=DV(msgpack=b"\x85\xa7content")), pb.ReadResource.Response)
    check(f"{tag}: malformed msgpack is an error", len(errors(r.diagnostics)) == 1, str(r))
    r = rpc(ch, pkg, "ReadResource", pb.ReadResource.Request(type_name="nope", current_state=DV(msgpack=b"\xc0")),
            pb.ReadResource.Response)
    check(f"{tag}: unknown resource type", "Unknown resource type" in str(r), str(r))

    # 13. StopProvider while an apply waits.
    r = rpc(ch, pkg, names["conf"], msgs["conf"].Request(config=DV(msgpack=pack({"apply_delay_ms": 60000}))),
            msgs["conf"].Response)
    result = {}

    def slow_apply():
        t0 = time.monotonic()
        result["resp"] = rpc(ch, pkg, "ApplyResourceChange", pb.ApplyResourceChange.Request(
            type_name="localfs_file", prior_state=DV(msgpack=b"\xc0"),
            planned_state=DV(msgpack=pack(file_obj(path2, "slow", "0644", UNKNOWN, UNKNOWN))),
            config=DV(msgpack=pack(file_obj(path2, "slow")))), pb.ApplyResourceChange.Response)
        result["secs"] = time.monotonic() - t0
    t = threading.Thread(target=slow_apply)
    t.start()
    time.sleep(0.5)
    sr = rpc(ch, pkg, names["stop"], msgs["stop"].Request(), msgs["stop"].Response)
    t.join(30)
    resp = result.get("resp")
    check(f"{tag}: StopProvider ends the apply in flight", sr.Error == "" and resp is not None
          and result["secs"] < 30 and any(d.summary == "Provider stopped" for d in resp.diagnostics)
          and resp.new_state.msgpack == b"\xc0" and not os.path.exists(path2), str(resp))
    r = rpc(ch, pkg, names["conf"], msgs["conf"].Request(config=DV(msgpack=pack({"apply_delay_ms": 0}))),
            msgs["conf"].Response)
    r = rpc(ch, pkg, "CallFunction", pb.CallFunction.Request(name="sha256", arguments=[DV(msgpack=pack("x"))]),
            pb.CallFunction.Response)
    check(f"{tag}: calls after Stop still work", unpack(r.result.msgpack) == hashlib.sha256(b"x").hexdigest(), str(r))

    # 14. Shutdown.
    from plugin import grpc_controller_pb2 as ctl
    ch.unary_unary("/plugin.GRPCController/Shutdown", request_serializer=lambda m: m.SerializeToString(),
                   response_deserializer=ctl.Empty.FromString)(ctl.Empty(), timeout=10)
    ch.close()
    rc = prov.finish()
    check(f"{tag}: shutdown exits 0", rc == 0, f"rc={rc} stderr={prov.stderr[-2000:]!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider", required=True)
    ap.add_argument("--protoc", required=True)
    ap.add_argument("--grpc-python-plugin", default="/usr/bin/grpc_python_plugin")
    ap.add_argument("--proto-dir", required=True)
    ap.add_argument("--demo", action="store_true",
                    help="protocol 6 with AutoMTLS only, printing every call and its diagnostics")
    args = ap.parse_args()
    global VERBOSE
    VERBOSE = args.demo
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "stubs")
        os.makedirs(out)
        subprocess.run([args.protoc, "-I" + args.proto_dir, "--python_out=" + out, "--grpc_python_out=" + out,
                        "--plugin=protoc-gen-grpc_python=" + args.grpc_python_plugin,
                        "tfplugin6/tfplugin6.proto", "tfplugin5/tfplugin5.proto",
                        "plugin/grpc_controller.proto"], check=True)
        sys.path.insert(0, out)
        pbs = {6: importlib.import_module("tfplugin6.tfplugin6_pb2"),
               5: importlib.import_module("tfplugin5.tfplugin5_pb2")}
        runs = [(6, True)] if args.demo else [(6, False), (6, True), (5, False), (5, True)]
        try:
            for version, tls in runs:
                lifecycle(args, pbs[version], version, tls, tmp)
        finally:
            for p in started:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    if failures:
        sys.exit(f"{len(failures)} checks failed: {', '.join(failures)}")
    print("all checks passed")


if __name__ == "__main__":
    main()
