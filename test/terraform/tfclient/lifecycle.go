package main

// A resource's life as Terraform core drives it (call order of terraform plan/apply/import
// on a new instance per walk, spec §2.5): schema loading, configure, validate, plan and the
// apply-time re-plan, apply, refresh, drift, update in place, replace, destroy, import,
// a data source, a provider function on an unconfigured instance, bad input, and
// StopProvider while an apply waits. Every response is decoded by go-cty against the
// schema the provider announced; plans and apply results get core's checks.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "tfcheck/tfplugin6"
)

const (
	resType  = "localfs_file"
	dataType = "localfs_file"
	funcName = "sha256"
)

// session is one provider instance with the schema it announced.
type session struct {
	c     *checker
	tag   string
	in    *instance
	p     *provider
	res   *pb.Schema_Block
	resT  cty.Type
	dataT cty.Type
	provT cty.Type
	fns   map[string]*pb.Function
}

func hexSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// loadSchema is what core does first on every instance: GetProviderSchema (64 MiB receive
// limit, as plugin6/grpc_provider.go), then GetResourceIdentitySchemas (UNIMPLEMENTED
// means none).
func (s *session) loadSchema() bool {
	resp := &pb.GetProviderSchema_Response{}
	err := s.p.call("GetProviderSchema", &pb.GetProviderSchema_Request{}, resp, grpc.MaxCallRecvMsgSize(64<<20))
	if !s.c.check(s.tag+": GetProviderSchema", err == nil && len(errorDiags(resp.Diagnostics)) == 0 &&
		resp.Provider != nil, "err=%v %s", err, showDiags(resp.Diagnostics)) {
		return false
	}
	logf("GetProviderSchema: %s", showDiags(resp.Diagnostics))
	var errs []error
	var e error
	s.provT, e = impliedType(resp.Provider.Block)
	errs = append(errs, e)
	rs := resp.ResourceSchemas[resType]
	ds := resp.DataSourceSchemas[dataType]
	if rs == nil || ds == nil {
		s.c.check(s.tag+": schema has "+resType, false, "resources %v, data sources %v",
			keys(resp.ResourceSchemas), keys(resp.DataSourceSchemas))
		return false
	}
	s.res = rs.Block
	s.resT, e = impliedType(rs.Block)
	errs = append(errs, e)
	s.dataT, e = impliedType(ds.Block)
	errs = append(errs, e)
	for _, e := range errs {
		if e != nil {
			s.c.check(s.tag+": schema types", false, "%v", e)
			return false
		}
	}
	s.fns = resp.Functions
	attrs := map[string]*pb.Schema_Attribute{}
	for _, a := range s.res.Attributes {
		attrs[a.Name] = a
	}
	want := cty.Object(map[string]cty.Type{"path": cty.String, "content": cty.String, "mode": cty.String,
		"sha256": cty.String, "id": cty.String})
	s.c.check(s.tag+": resource schema", s.resT.Equals(want) && attrs["path"].Required &&
		attrs["content"].Required && attrs["mode"].Optional && attrs["mode"].Computed &&
		attrs["sha256"].Computed && !attrs["sha256"].Optional && attrs["path"].Description != "",
		"implied type %#v, attributes %v", s.resT, s.res.Attributes)
	f := resp.Functions[funcName]
	s.c.check(s.tag+": function schema", f != nil && len(f.Parameters) == 1 && string(f.Parameters[0].Type) == `"string"` &&
		f.Return != nil && string(f.Return.Type) == `"string"` && f.Summary != "", "%v", f)
	s.c.check(s.tag+": server capabilities", resp.ServerCapabilities.GetPlanDestroy(), "%v", resp.ServerCapabilities)

	idResp := &pb.GetResourceIdentitySchemas_Response{}
	err = s.p.call("GetResourceIdentitySchemas", &pb.GetResourceIdentitySchemas_Request{}, idResp)
	s.c.check(s.tag+": GetResourceIdentitySchemas answers or is UNIMPLEMENTED",
		err == nil || status.Code(err) == codes.Unimplemented, "%v", err)
	return true
}

func keys(m interface{}) []string {
	var out []string
	switch m := m.(type) {
	case map[string]*pb.Schema:
		for k := range m {
			out = append(out, k)
		}
	}
	return out
}

func fileCfg(path, content cty.Value) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"path": path, "content": content, "mode": cty.NullVal(cty.String),
		"sha256": cty.NullVal(cty.String), "id": cty.NullVal(cty.String)})
}

func str(s string) cty.Value { return cty.StringVal(s) }

func (s *session) validateResource(cfg cty.Value) []*pb.Diagnostic {
	resp := &pb.ValidateResourceConfig_Response{}
	err := s.p.call("ValidateResourceConfig", &pb.ValidateResourceConfig_Request{TypeName: resType,
		Config: mustEncode(cfg, s.resT)}, resp)
	if err != nil {
		s.c.fatal(s.tag+": ValidateResourceConfig", err)
	}
	logf("ValidateResourceConfig: %s", showDiags(resp.Diagnostics))
	return resp.Diagnostics
}

func (s *session) configure(cfg cty.Value) []*pb.Diagnostic {
	vr := &pb.ValidateProviderConfig_Response{}
	if err := s.p.call("ValidateProviderConfig", &pb.ValidateProviderConfig_Request{Config: mustEncode(cfg, s.provT)}, vr); err != nil {
		s.c.fatal(s.tag+": ValidateProviderConfig", err)
	}
	logf("ValidateProviderConfig: %s", showDiags(vr.Diagnostics))
	cr := &pb.ConfigureProvider_Response{}
	if err := s.p.call("ConfigureProvider", &pb.ConfigureProvider_Request{TerraformVersion: "1.15.9",
		Config: mustEncode(cfg, s.provT)}, cr); err != nil {
		s.c.fatal(s.tag+": ConfigureProvider", err)
	}
	logf("ConfigureProvider: %s", showDiags(cr.Diagnostics))
	return append(vr.Diagnostics, cr.Diagnostics...)
}

type plan struct {
	planned cty.Value
	private []byte
	replace []string
	diags   []*pb.Diagnostic
}

// plan sends PlanResourceChange with core's ProposedNew and checks the planned value
// conforms; config values that are not computed must be planned as configured.
func (s *session) plan(name string, prior, cfg cty.Value, priorPrivate []byte) plan {
	proposed := proposedNew(s.res, prior, cfg)
	if cfg.IsNull() {
		proposed = cty.NullVal(s.resT)
	}
	resp := &pb.PlanResourceChange_Response{}
	err := s.p.call("PlanResourceChange", &pb.PlanResourceChange_Request{TypeName: resType,
		PriorState: mustEncode(prior, s.resT), ProposedNewState: mustEncode(proposed, s.resT),
		Config: mustEncode(cfg, s.resT), PriorPrivate: priorPrivate}, resp)
	if err != nil {
		s.c.fatal(s.tag+": "+name, err)
	}
	logf("PlanResourceChange (%s): %s", name, showDiags(resp.Diagnostics))
	out := plan{private: resp.PlannedPrivate, diags: resp.Diagnostics}
	for _, p := range resp.RequiresReplace {
		out.replace = append(out.replace, protoPath(p))
	}
	out.planned, err = decode(resp.PlannedState, s.resT)
	if err != nil {
		s.c.fatal(s.tag+": "+name+": planned state decodes against the schema", err)
	}
	if resp.LegacyTypeSystem {
		s.c.check(s.tag+": "+name+": no legacy type system", false, "legacy_type_system set")
	}
	// objchange.AssertPlanValid, attribute level: non-computed attributes as configured.
	if !cfg.IsNull() && !out.planned.IsNull() {
		for _, a := range s.res.Attributes {
			cv, pv := cfg.GetAttr(a.Name), out.planned.GetAttr(a.Name)
			if !a.Computed && !pv.RawEquals(cv) {
				s.c.check(s.tag+": "+name+": plan valid", false, "%s planned %#v, configured %#v", a.Name, pv, cv)
			}
			if a.Computed && !cv.IsNull() && !pv.RawEquals(cv) {
				s.c.check(s.tag+": "+name+": plan valid", false, "%s planned %#v, configured %#v", a.Name, pv, cv)
			}
		}
	}
	if cfg.IsNull() && !out.planned.IsNull() {
		s.c.check(s.tag+": "+name+": destroy planned null", false, "planned %#v", out.planned)
	}
	return out
}

// apply is the apply walk for one change: the apply-time re-plan (its result must be
// compatible with the saved plan), then ApplyResourceChange, whose result must be wholly
// known and compatible with the plan.
func (s *session) apply(name string, prior, cfg cty.Value, saved plan) (cty.Value, []byte, []*pb.Diagnostic) {
	planned, private := saved.planned, saved.private
	if !cfg.IsNull() {
		if d := errorDiags(s.validateResource(cfg)); len(d) > 0 {
			s.c.check(s.tag+": "+name+": validate at apply", false, "%s", showDiags(d))
		}
		re := s.plan(name+" (apply-time plan)", prior, cfg, nil)
		errs := compatible(saved.planned, re.planned, nil)
		s.c.check(s.tag+": "+name+": final plan consistent", len(errs) == 0, "%v", errs)
		planned, private = re.planned, re.private
	}
	resp := &pb.ApplyResourceChange_Response{}
	err := s.p.call("ApplyResourceChange", &pb.ApplyResourceChange_Request{TypeName: resType,
		PriorState: mustEncode(prior, s.resT), PlannedState: mustEncode(planned, s.resT),
		Config: mustEncode(cfg, s.resT), PlannedPrivate: private}, resp)
	if err != nil {
		s.c.fatal(s.tag+": "+name, err)
	}
	logf("ApplyResourceChange (%s): %s", name, showDiags(resp.Diagnostics))
	got, err := decode(resp.NewState, s.resT)
	if err != nil {
		s.c.fatal(s.tag+": "+name+": new state decodes against the schema", err)
	}
	if len(errorDiags(resp.Diagnostics)) == 0 {
		if planned.IsNull() {
			s.c.check(s.tag+": "+name+": null after delete", got.IsNull(), "%#v", got)
		} else {
			errs := compatible(planned, got, nil)
			s.c.check(s.tag+": "+name+": result consistent with plan", !got.IsNull() && got.IsWhollyKnown() &&
				len(errs) == 0, "new state %#v: %v", got, errs)
		}
	}
	return got, resp.Private, resp.Diagnostics
}

func (s *session) read(state cty.Value, private []byte) (cty.Value, []byte, []*pb.Diagnostic) {
	resp := &pb.ReadResource_Response{}
	err := s.p.call("ReadResource", &pb.ReadResource_Request{TypeName: resType,
		CurrentState: mustEncode(state, s.resT), Private: private}, resp)
	if err != nil {
		s.c.fatal(s.tag+": ReadResource", err)
	}
	logf("ReadResource: %s", showDiags(resp.Diagnostics))
	got, err := decode(resp.NewState, s.resT)
	if err != nil {
		s.c.fatal(s.tag+": ReadResource: new state decodes against the schema", err)
	}
	if !got.IsWhollyKnown() {
		s.c.check(s.tag+": ReadResource: wholly known", false, "%#v", got)
	}
	return got, resp.Private, resp.Diagnostics
}

func fileObj(path, content, mode string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"path": str(path), "content": str(content), "mode": str(mode),
		"sha256": str(hexSHA(content)), "id": str(path)})
}

func fileContent(path string) string {
	b, err := ioutil.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

func (s *session) start(exe string, versions []int, autoMTLS bool, what string) {
	in, err := launch(exe, versions, autoMTLS)
	if err != nil {
		s.c.fatal(s.tag+": "+what+": launch", err)
	}
	s.in, s.p = in, in.p
	s.c.check(s.tag+": "+what+": negotiated protocol", in.version == versions[len(versions)-1] &&
		in.client.NegotiatedVersion() == in.version, "negotiated %d (client says %d)", in.version,
		in.client.NegotiatedVersion())
	if !s.loadSchema() {
		s.c.finish()
	}
}

func (s *session) close(what string) {
	rc := s.in.kill()
	s.c.check(s.tag+": "+what+": graceful shutdown exits 0", rc == 0, "exit status %d", rc)
	s.c.check(s.tag+": "+what+": nothing on stdout after the handshake", s.in.stdout.String() == "",
		"%q", s.in.stdout.String())
}

// walk runs `body` on a fresh provider instance, as Terraform does for each graph walk:
// schema loading, then (except in the validate walk) ValidateProviderConfig and
// ConfigureProvider; the instance is closed afterwards.
func (s *session) walk(exe string, versions []int, autoMTLS bool, name string, configure bool, body func()) {
	s.start(exe, versions, autoMTLS, name)
	if configure {
		d := s.configure(cty.ObjectVal(map[string]cty.Value{"apply_delay_ms": cty.NullVal(cty.Number)}))
		s.c.check(s.tag+": "+name+": configure", len(d) == 0, "%s", showDiags(d))
	}
	body()
	s.close(name)
}

// refresh is the start of a plan walk for an instance in state: UpgradeResourceState of
// the stored JSON (even at the same schema version), then ReadResource.
func (s *session) refresh(state cty.Value, private []byte) (cty.Value, []byte, []*pb.Diagnostic) {
	raw, err := ctyjson.Marshal(state, s.resT)
	if err != nil {
		s.c.fatal(s.tag+": state as JSON", err)
	}
	ur := &pb.UpgradeResourceState_Response{}
	if err := s.p.call("UpgradeResourceState", &pb.UpgradeResourceState_Request{TypeName: resType, Version: 0,
		RawState: &pb.RawState{Json: raw}}, ur); err != nil {
		s.c.fatal(s.tag+": UpgradeResourceState", err)
	}
	logf("UpgradeResourceState: %s", showDiags(ur.Diagnostics))
	up, err := decode(ur.UpgradedState, s.resT)
	s.c.check(s.tag+": upgrade state", err == nil && len(ur.Diagnostics) == 0 && up.RawEquals(state) &&
		up.IsWhollyKnown(), "%v %#v %s", err, up, showDiags(ur.Diagnostics))
	return s.read(up, private)
}

func runLifecycle(c *checker, exe string, version int, autoMTLS bool, tmp string) {
	versions := []int{5, 6}
	if version == 5 {
		versions = []int{5}
	}
	s := &session{c: c, tag: fmt.Sprintf("v%d", version)}
	if autoMTLS {
		s.tag += "-automtls"
	}
	walk := func(name string, configure bool, body func()) {
		s.walk(exe, versions, autoMTLS, name, configure, body)
	}
	var d []*pb.Diagnostic

	// Schema loading: an instance of its own, closed straight away.
	walk("schema instance", false, func() {})

	path := filepath.Join(tmp, "file-"+s.tag+".txt")
	cfg := fileCfg(str(path), str("hello\n"))

	// terraform validate: no ConfigureProvider; values may be unknown.
	walk("validate walk", false, func() {
		d = s.validateResource(cfg)
		c.check(s.tag+": validate", len(d) == 0, "%s", showDiags(d))
		d = s.validateResource(fileCfg(str(path), cty.UnknownVal(cty.String)))
		c.check(s.tag+": validate with unknowns", len(d) == 0, "%s", showDiags(d))
		bad := cty.ObjectVal(map[string]cty.Value{"path": str("relative"), "content": str("x"), "mode": str("999"),
			"sha256": cty.NullVal(cty.String), "id": cty.NullVal(cty.String)})
		d = errorDiags(s.validateResource(bad))
		var paths []string
		for _, x := range d {
			paths = append(paths, protoPath(x.Attribute))
		}
		c.check(s.tag+": invalid config: errors at .mode and .path", len(paths) == 2 &&
			((paths[0] == ".mode" && paths[1] == ".path") || (paths[0] == ".path" && paths[1] == ".mode")), "%v", paths)
	})

	// Create: a plan walk, then an apply walk with the saved plan.
	var p plan
	walk("plan walk (create)", true, func() {
		if d := s.validateResource(cfg); len(d) != 0 {
			c.check(s.tag+": validate before plan", false, "%s", showDiags(d))
		}
		p = s.plan("plan create", cty.NullVal(s.resT), cfg, nil)
		want := cty.ObjectVal(map[string]cty.Value{"path": str(path), "content": str("hello\n"),
			"mode": cty.UnknownVal(cty.String), "sha256": cty.UnknownVal(cty.String), "id": cty.UnknownVal(cty.String)})
		c.check(s.tag+": plan create: computed attributes unknown", len(p.diags) == 0 && p.planned.RawEquals(want),
			"%#v %s", p.planned, showDiags(p.diags))
	})
	var state cty.Value
	var private []byte
	walk("apply walk (create)", true, func() {
		state, private, d = s.apply("apply create", cty.NullVal(s.resT), cfg, p)
		c.check(s.tag+": apply create writes the file", len(d) == 0 && state.RawEquals(fileObj(path, "hello\n", "0644")) &&
			fileContent(path) == "hello\n", "%#v %s", state, showDiags(d))
	})

	// Refresh without drift: the plan is a no-op.
	walk("plan walk (no change)", true, func() {
		got, gotPrivate, d := s.refresh(state, private)
		c.check(s.tag+": read, no drift", len(d) == 0 && got.RawEquals(state) && string(gotPrivate) == string(private),
			"%#v private %q", got, gotPrivate)
		p = s.plan("plan without changes", got, cfg, gotPrivate)
		c.check(s.tag+": plan without changes is a no-op", len(p.diags) == 0 && len(p.replace) == 0 &&
			p.planned.RawEquals(state), "%#v", p.planned)
	})

	// Drift, an unknown in the config, then an update in place.
	if err := ioutil.WriteFile(path, []byte("edited\n"), 0644); err != nil {
		c.fatal(s.tag+": edit the file", err)
	}
	cfg2 := fileCfg(str(path), str("second\n"))
	var drifted cty.Value
	walk("plan walk (update)", true, func() {
		drifted, private, d = s.refresh(state, private)
		c.check(s.tag+": read detects drift", len(d) == 0 && drifted.RawEquals(fileObj(path, "edited\n", "0644")),
			"%#v", drifted)
		// The content known only after another apply: unknown in config, unknown in plan.
		p = s.plan("plan with unknown content", drifted, fileCfg(str(path), cty.UnknownVal(cty.String)), private)
		c.check(s.tag+": plan with unknown content", len(p.diags) == 0 && len(p.replace) == 0 &&
			!p.planned.GetAttr("content").IsKnown() && !p.planned.GetAttr("sha256").IsKnown() &&
			p.planned.GetAttr("mode").RawEquals(str("0644")), "%#v replace %v", p.planned, p.replace)
		p = s.plan("plan update", drifted, cfg2, private)
		c.check(s.tag+": plan update in place", len(p.diags) == 0 && len(p.replace) == 0 &&
			!p.planned.GetAttr("sha256").IsKnown() && p.planned.GetAttr("id").RawEquals(str(path)), "%#v %v", p.planned, p.replace)
	})
	walk("apply walk (update)", true, func() {
		state, private, d = s.apply("apply update", drifted, cfg2, p)
		c.check(s.tag+": apply update", len(d) == 0 && state.RawEquals(fileObj(path, "second\n", "0644")) &&
			fileContent(path) == "second\n", "%#v %s", state, showDiags(d))
	})

	// Replace: a new path requires replacement; core plans the create half with a null
	// prior, then applies delete-then-create.
	path2 := path + ".moved"
	cfg3 := fileCfg(str(path2), str("second\n"))
	var create plan
	walk("plan walk (replace)", true, func() {
		state, private, _ = s.refresh(state, private)
		p = s.plan("plan replace", state, cfg3, private)
		c.check(s.tag+": changed path requires replace", len(p.diags) == 0 && len(p.replace) == 1 && p.replace[0] == ".path",
			"%v %s", p.replace, showDiags(p.diags))
		create = s.plan("plan replace (create half)", cty.NullVal(s.resT), cfg3, p.private)
	})
	walk("apply walk (replace)", true, func() {
		del := plan{planned: cty.NullVal(s.resT), private: private}
		gone, _, d := s.apply("apply replace (delete half)", state, cty.NullVal(s.resT), del)
		c.check(s.tag+": replace deletes the old file", len(d) == 0 && gone.IsNull() && fileContent(path) != "second\n",
			"%s", showDiags(d))
		state, private, d = s.apply("apply replace (create half)", cty.NullVal(s.resT), cfg3, create)
		c.check(s.tag+": replace creates the new file", len(d) == 0 && state.RawEquals(fileObj(path2, "second\n", "0644")) &&
			fileContent(path2) == "second\n", "%#v %s", state, showDiags(d))
	})

	// Destroy (plan_destroy: the provider plans it).
	walk("plan walk (destroy)", true, func() {
		state, private, _ = s.refresh(state, private)
		p = s.plan("plan destroy", state, cty.NullVal(s.resT), private)
		c.check(s.tag+": plan destroy is null", len(p.diags) == 0 && p.planned.IsNull(), "%#v", p.planned)
	})
	walk("apply walk (destroy)", true, func() {
		gone, _, d := s.apply("apply destroy", state, cty.NullVal(s.resT), p)
		_, statErr := os.Stat(path2)
		c.check(s.tag+": apply destroy removes the file", len(d) == 0 && gone.IsNull() && os.IsNotExist(statErr), "%s", showDiags(d))
	})
	walk("plan walk (gone)", true, func() {
		got, _, d := s.refresh(state, private)
		c.check(s.tag+": read after destroy is null (gone)", len(d) == 0 && got.IsNull(), "%#v", got)
	})

	// terraform import: ImportResourceState, then ReadResource of what it returned.
	if err := ioutil.WriteFile(path, []byte("imported\n"), 0600); err != nil {
		c.fatal(s.tag+": write a file to import", err)
	}
	walk("import walk", true, func() {
		ir := &pb.ImportResourceState_Response{}
		if err := s.p.call("ImportResourceState", &pb.ImportResourceState_Request{TypeName: resType, Id: path}, ir); err != nil {
			c.fatal(s.tag+": ImportResourceState", err)
		}
		logf("ImportResourceState: %s", showDiags(ir.Diagnostics))
		if c.check(s.tag+": import returns one resource", len(ir.Diagnostics) == 0 && len(ir.ImportedResources) == 1 &&
			ir.ImportedResources[0].TypeName == resType, "%v", ir) {
			imp, err := decode(ir.ImportedResources[0].State, s.resT)
			c.check(s.tag+": imported state decodes, non-null", err == nil && !imp.IsNull(), "%v", err)
			if err == nil && !imp.IsNull() {
				got, _, d := s.read(imp, ir.ImportedResources[0].Private)
				c.check(s.tag+": read after import", len(d) == 0 && got.RawEquals(fileObj(path, "imported\n", "0600")),
					"%#v", got)
			}
		}
		ir = &pb.ImportResourceState_Response{}
		if err := s.p.call("ImportResourceState", &pb.ImportResourceState_Request{TypeName: resType,
			Id: path + ".missing"}, ir); err != nil {
			c.fatal(s.tag+": ImportResourceState", err)
		}
		c.check(s.tag+": import of a missing file is an error", len(errorDiags(ir.Diagnostics)) == 1 &&
			len(ir.ImportedResources) == 0, "%v", ir)
	})

	walk("plan walk (data source, bad input, stop)", true, func() {
		checkDataSource(s, path)
		checkBadInput(s, path)
		checkStop(s, cfg, path+".slow")
	})

	// Provider functions run on an unconfigured instance of their own.
	walk("function instance", false, func() { checkFunction(s) })
}

func checkDataSource(s *session, path string) {
	c := s.c
	dcfg := cty.ObjectVal(map[string]cty.Value{"path": str(path), "content": cty.NullVal(cty.String),
		"sha256": cty.NullVal(cty.String)})
	vd := &pb.ValidateDataResourceConfig_Response{}
	if err := s.p.call("ValidateDataResourceConfig", &pb.ValidateDataResourceConfig_Request{TypeName: dataType,
		Config: mustEncode(dcfg, s.dataT)}, vd); err != nil {
		c.fatal(s.tag+": ValidateDataResourceConfig", err)
	}
	c.check(s.tag+": validate data source", len(vd.Diagnostics) == 0, "%s", showDiags(vd.Diagnostics))
	rd := &pb.ReadDataSource_Response{}
	if err := s.p.call("ReadDataSource", &pb.ReadDataSource_Request{TypeName: dataType,
		Config: mustEncode(dcfg, s.dataT)}, rd); err != nil {
		c.fatal(s.tag+": ReadDataSource", err)
	}
	logf("ReadDataSource: %s", showDiags(rd.Diagnostics))
	dv, err := decode(rd.State, s.dataT)
	c.check(s.tag+": data source", err == nil && len(rd.Diagnostics) == 0 && dv.IsWhollyKnown() &&
		dv.RawEquals(cty.ObjectVal(map[string]cty.Value{"path": str(path), "content": str("imported\n"),
			"sha256": str(hexSHA("imported\n"))})), "%v %#v", err, dv)
}

// checkBadInput: a value of another type, malformed msgpack, an unknown resource type, an
// RPC the kit does not implement.
func checkBadInput(s *session, path string) {
	c := s.c
	wrongT := cty.Object(map[string]cty.Type{"path": cty.String, "content": cty.Number, "mode": cty.String,
		"sha256": cty.String, "id": cty.String})
	wrong, _ := ctymsgpack.Marshal(cty.ObjectVal(map[string]cty.Value{"path": str(path), "content": cty.NumberIntVal(42),
		"mode": cty.NullVal(cty.String), "sha256": cty.NullVal(cty.String), "id": cty.NullVal(cty.String)}), wrongT)
	pr := &pb.PlanResourceChange_Response{}
	if err := s.p.call("PlanResourceChange", &pb.PlanResourceChange_Request{TypeName: resType,
		PriorState: mustEncode(cty.NullVal(s.resT), s.resT), ProposedNewState: &pb.DynamicValue{Msgpack: wrong},
		Config: &pb.DynamicValue{Msgpack: wrong}}, pr); err != nil {
		c.fatal(s.tag+": PlanResourceChange with a type mismatch", err)
	}
	e := errorDiags(pr.Diagnostics)
	c.check(s.tag+": type mismatch is an error at .content", len(e) == 1 && protoPath(e[0].Attribute) == ".content",
		"%s", showDiags(pr.Diagnostics))
	rr := &pb.ReadResource_Response{}
	if err := s.p.call("ReadResource", &pb.ReadResource_Request{TypeName: resType,
		CurrentState: &pb.DynamicValue{Msgpack: []byte("\x85\xa7content")}}, rr); err != nil {
		c.fatal(s.tag+": ReadResource with malformed msgpack", err)
	}
	c.check(s.tag+": malformed msgpack is an error", len(errorDiags(rr.Diagnostics)) == 1, "%s", showDiags(rr.Diagnostics))
	rr = &pb.ReadResource_Response{}
	if err := s.p.call("ReadResource", &pb.ReadResource_Request{TypeName: "nope",
		CurrentState: mustEncode(cty.NullVal(s.resT), s.resT)}, rr); err != nil {
		c.fatal(s.tag+": ReadResource of an unknown type", err)
	}
	c.check(s.tag+": unknown resource type is an error", len(errorDiags(rr.Diagnostics)) == 1, "%s", showDiags(rr.Diagnostics))
	err := s.p.call("MoveResourceState", &pb.MoveResourceState_Request{TargetTypeName: resType}, &pb.MoveResourceState_Response{})
	c.check(s.tag+": an RPC the kit does not implement is UNIMPLEMENTED", status.Code(err) == codes.Unimplemented, "%v", err)
}

// checkStop: StopProvider while an apply waits (apply_delay_ms makes it wait a minute);
// later calls run normally.
func checkStop(s *session, cfg cty.Value, path3 string) {
	c := s.c
	d := s.configure(cty.ObjectVal(map[string]cty.Value{"apply_delay_ms": cty.NumberIntVal(60000)}))
	c.check(s.tag+": configure a slow apply", len(d) == 0, "%s", showDiags(d))
	slowCfg := fileCfg(str(path3), str("slow"))
	slow := s.plan("plan a slow create", cty.NullVal(s.resT), slowCfg, nil)
	done := make(chan applied, 1)
	go func() {
		resp := &pb.ApplyResourceChange_Response{}
		err := s.p.call("ApplyResourceChange", &pb.ApplyResourceChange_Request{TypeName: resType,
			PriorState: mustEncode(cty.NullVal(s.resT), s.resT), PlannedState: mustEncode(slow.planned, s.resT),
			Config: mustEncode(slowCfg, s.resT), PlannedPrivate: slow.private}, resp)
		done <- applied{resp, err}
	}()
	res, stopErr := stopUntil(s.p, done)
	c.check(s.tag+": StopProvider answers", stopErr == "", "%s", stopErr)
	if c.check(s.tag+": StopProvider ends the apply in flight", res != nil, "the apply did not return within 60 s") {
		ar := res.resp.(*pb.ApplyResourceChange_Response)
		d = ar.Diagnostics
		st, derr := decode(ar.NewState, s.resT)
		logf("ApplyResourceChange (stopped): %s", showDiags(d))
		_, statErr := os.Stat(path3)
		c.check(s.tag+": the stopped apply reports it and keeps the prior (null) state", res.err == nil &&
			len(d) == 1 && d[0].Summary == "Provider stopped" && derr == nil && st.IsNull() && os.IsNotExist(statErr),
			"err=%v %s %#v", res.err, showDiags(d), st)
	}
	d = s.configure(cty.ObjectVal(map[string]cty.Value{"apply_delay_ms": cty.NullVal(cty.Number)}))
	p := s.plan("plan after stop", cty.NullVal(s.resT), cfg, nil)
	c.check(s.tag+": calls after StopProvider run normally", len(d) == 0 && len(p.diags) == 0 && !p.planned.IsNull(),
		"%s %s", showDiags(d), showDiags(p.diags))
}

func checkFunction(s *session) {
	c := s.c
	f := s.fns[funcName]
	if f == nil {
		c.check(s.tag+": function declared", false, "no %s", funcName)
		return
	}
	pt, err := ctyjson.UnmarshalType(f.Parameters[0].Type)
	if err != nil {
		c.fatal(s.tag+": function parameter type", err)
	}
	rt, err := ctyjson.UnmarshalType(f.Return.Type)
	if err != nil {
		c.fatal(s.tag+": function return type", err)
	}
	resp := &pb.CallFunction_Response{}
	if err := s.p.call("CallFunction", &pb.CallFunction_Request{Name: funcName,
		Arguments: []*pb.DynamicValue{mustEncode(str("abc"), pt)}}, resp); err != nil {
		c.fatal(s.tag+": CallFunction", err)
	}
	logf("CallFunction: result %v error %v", resp.Result, resp.Error)
	v, err := decode(resp.Result, rt)
	c.check(s.tag+": function call", err == nil && resp.Error == nil && v.RawEquals(str(hexSHA("abc"))),
		"%v %#v %v", err, v, resp.Error)
	resp = &pb.CallFunction_Response{}
	if err := s.p.call("CallFunction", &pb.CallFunction_Request{Name: funcName,
		Arguments: []*pb.DynamicValue{mustEncode(cty.True, cty.Bool)}}, resp); err != nil {
		c.fatal(s.tag+": CallFunction", err)
	}
	c.check(s.tag+": function argument of the wrong type names the argument", resp.Error != nil &&
		resp.Error.FunctionArgument != nil && *resp.Error.FunctionArgument == 0 && resp.Result == nil, "%v", resp)
	resp = &pb.CallFunction_Response{}
	if err := s.p.call("CallFunction", &pb.CallFunction_Request{Name: funcName}, resp); err != nil {
		c.fatal(s.tag+": CallFunction", err)
	}
	c.check(s.tag+": function without its argument is an error", resp.Error != nil && resp.Result == nil, "%v", resp)
}

// applied is the outcome of a call made in the background.
type applied struct {
	resp proto.Message
	err  error
}

// stopUntil calls StopProvider until the call in flight returns: a Stop that lands
// before the call has started cancels nothing, so it is repeated. Returns the call's
// outcome (nil after 60 s) and the last StopProvider error text.
func stopUntil(p *provider, done chan applied) (*applied, string) {
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		sr := &pb.StopProvider_Response{}
		if err := p.call("StopProvider", &pb.StopProvider_Request{}, sr); err != nil {
			last = err.Error()
		} else {
			last = sr.Error
		}
		logf("StopProvider: %q", last)
		select {
		case r := <-done:
			return &r, last
		case <-deadline:
			return nil, last
		case <-tick.C:
		}
	}
}
