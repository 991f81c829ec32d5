package main

// StopProvider against calls of every kind in flight, with the test provider
// test/terraform/slow_provider.cpp (`terraform-provider-slow`): eleven calls that wait
// (validate provider, configure, validate resource and data source, upgrade, read, plan,
// apply, import, read data source, a function), StopProvider once all of them are waiting,
// then every call must come back stopped, none may still be waiting when StopProvider has
// answered, and the same calls made again run normally.

import (
	"fmt"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"google.golang.org/protobuf/proto"

	pb "tfcheck/tfplugin6"
)

type slowCall struct {
	name string
	in   proto.Message
	out  proto.Message
	// check tells whether the response is a stopped call's (stopped) or a normal one.
	check func(resp proto.Message, stopped bool) error
}

func stoppedDiag(ds []*pb.Diagnostic, stopped bool) error {
	e := errorDiags(ds)
	if stopped && (len(e) != 1 || e[0].Summary != "Provider stopped") {
		return fmt.Errorf("want one \"Provider stopped\" error, got %s", showDiags(ds))
	}
	if !stopped && len(e) != 0 {
		return fmt.Errorf("want no errors, got %s", showDiags(ds))
	}
	return nil
}

func slowCalls(s *session, word string) []slowCall {
	thingT := s.resT
	obj := func(attrs map[string]cty.Value) cty.Value { return cty.ObjectVal(attrs) }
	name := str(word)
	cfg := obj(map[string]cty.Value{"name": name, "id": cty.NullVal(cty.String)})
	state := obj(map[string]cty.Value{"name": name, "id": name})
	planned := obj(map[string]cty.Value{"name": name, "id": cty.UnknownVal(cty.String)})
	dcfg := obj(map[string]cty.Value{"name": name, "value": cty.NullVal(cty.String)})
	pcfg := obj(map[string]cty.Value{"name": name})
	raw, _ := ctyjson.Marshal(state, thingT)
	stateIs := func(dv *pb.DynamicValue, t cty.Type, want cty.Value) error {
		got, err := decode(dv, t)
		if err != nil {
			return err
		}
		if !got.RawEquals(want) {
			return fmt.Errorf("state %#v, want %#v", got, want)
		}
		return nil
	}
	both := func(a, b error) error {
		if a != nil {
			return a
		}
		return b
	}
	return []slowCall{
		{"ValidateProviderConfig", &pb.ValidateProviderConfig_Request{Config: mustEncode(pcfg, s.provT)},
			&pb.ValidateProviderConfig_Response{}, func(r proto.Message, st bool) error {
				return stoppedDiag(r.(*pb.ValidateProviderConfig_Response).Diagnostics, st)
			}},
		{"ConfigureProvider", &pb.ConfigureProvider_Request{TerraformVersion: "1.15.9", Config: mustEncode(pcfg, s.provT)},
			&pb.ConfigureProvider_Response{}, func(r proto.Message, st bool) error {
				return stoppedDiag(r.(*pb.ConfigureProvider_Response).Diagnostics, st)
			}},
		{"ValidateResourceConfig", &pb.ValidateResourceConfig_Request{TypeName: "slow_thing", Config: mustEncode(cfg, thingT)},
			&pb.ValidateResourceConfig_Response{}, func(r proto.Message, st bool) error {
				return stoppedDiag(r.(*pb.ValidateResourceConfig_Response).Diagnostics, st)
			}},
		{"ValidateDataResourceConfig", &pb.ValidateDataResourceConfig_Request{TypeName: "slow_thing",
			Config: mustEncode(dcfg, s.dataT)}, &pb.ValidateDataResourceConfig_Response{}, func(r proto.Message, st bool) error {
			return stoppedDiag(r.(*pb.ValidateDataResourceConfig_Response).Diagnostics, st)
		}},
		{"UpgradeResourceState", &pb.UpgradeResourceState_Request{TypeName: "slow_thing", RawState: &pb.RawState{Json: raw}},
			&pb.UpgradeResourceState_Response{}, func(r proto.Message, st bool) error {
				resp := r.(*pb.UpgradeResourceState_Response)
				return both(stoppedDiag(resp.Diagnostics, st), stateIs(resp.UpgradedState, thingT, state))
			}},
		{"ReadResource", &pb.ReadResource_Request{TypeName: "slow_thing", CurrentState: mustEncode(state, thingT)},
			&pb.ReadResource_Response{}, func(r proto.Message, st bool) error {
				resp := r.(*pb.ReadResource_Response)
				return both(stoppedDiag(resp.Diagnostics, st), stateIs(resp.NewState, thingT, state))
			}},
		{"PlanResourceChange", &pb.PlanResourceChange_Request{TypeName: "slow_thing",
			PriorState: mustEncode(cty.NullVal(thingT), thingT), ProposedNewState: mustEncode(cfg, thingT),
			Config: mustEncode(cfg, thingT)}, &pb.PlanResourceChange_Response{}, func(r proto.Message, st bool) error {
			resp := r.(*pb.PlanResourceChange_Response)
			if st {
				return stoppedDiag(resp.Diagnostics, st)
			}
			return both(stoppedDiag(resp.Diagnostics, st), stateIs(resp.PlannedState, thingT, planned))
		}},
		{"ApplyResourceChange", &pb.ApplyResourceChange_Request{TypeName: "slow_thing",
			PriorState: mustEncode(cty.NullVal(thingT), thingT), PlannedState: mustEncode(planned, thingT),
			Config: mustEncode(cfg, thingT)}, &pb.ApplyResourceChange_Response{}, func(r proto.Message, st bool) error {
			resp := r.(*pb.ApplyResourceChange_Response)
			want := state
			if st {
				want = cty.NullVal(thingT) // stopped: the prior state
			}
			return both(stoppedDiag(resp.Diagnostics, st), stateIs(resp.NewState, thingT, want))
		}},
		{"ImportResourceState", &pb.ImportResourceState_Request{TypeName: "slow_thing", Id: word},
			&pb.ImportResourceState_Response{}, func(r proto.Message, st bool) error {
				resp := r.(*pb.ImportResourceState_Response)
				if err := stoppedDiag(resp.Diagnostics, st); err != nil || st {
					return err
				}
				if len(resp.ImportedResources) != 1 {
					return fmt.Errorf("%d imported resources", len(resp.ImportedResources))
				}
				return stateIs(resp.ImportedResources[0].State, thingT, state)
			}},
		{"ReadDataSource", &pb.ReadDataSource_Request{TypeName: "slow_thing", Config: mustEncode(dcfg, s.dataT)},
			&pb.ReadDataSource_Response{}, func(r proto.Message, st bool) error {
				resp := r.(*pb.ReadDataSource_Response)
				if err := stoppedDiag(resp.Diagnostics, st); err != nil || st {
					return err
				}
				return stateIs(resp.State, s.dataT, obj(map[string]cty.Value{"name": name, "value": str("read")}))
			}},
		{"CallFunction", &pb.CallFunction_Request{Name: "echo", Arguments: []*pb.DynamicValue{mustEncode(name, cty.String)}},
			&pb.CallFunction_Response{}, func(r proto.Message, st bool) error {
				resp := r.(*pb.CallFunction_Response)
				if st {
					if resp.Error == nil || !strings.Contains(resp.Error.Text, "stopped") || resp.Result != nil {
						return fmt.Errorf("want a \"stopped\" function error, got %v", resp)
					}
					return nil
				}
				if resp.Error != nil {
					return fmt.Errorf("function error %q", resp.Error.Text)
				}
				return stateIs(resp.Result, cty.String, name)
			}},
	}
}

// waitingCalls asks the slow provider how many of its calls are waiting.
func waitingCalls(s *session) (int64, error) {
	resp := &pb.CallFunction_Response{}
	if err := s.p.call("CallFunction", &pb.CallFunction_Request{Name: "waiting"}, resp); err != nil {
		return 0, err
	}
	if resp.Error != nil {
		return 0, fmt.Errorf("%s", resp.Error.Text)
	}
	v, err := decode(resp.Result, cty.Number)
	if err != nil || v.IsNull() {
		return 0, fmt.Errorf("result %v: %v", v, err)
	}
	n, _ := v.AsBigFloat().Int64()
	return n, nil
}

func runStopAll(c *checker, exe string, version int, autoMTLS bool) {
	versions := []int{5, 6}
	if version == 5 {
		versions = []int{5}
	}
	tag := fmt.Sprintf("stop-all v%d", version)
	in, err := launch(exe, versions, autoMTLS)
	if err != nil {
		c.fatal(tag+": launch", err)
	}
	s := &session{c: c, tag: tag, in: in, p: in.p}
	resp := &pb.GetProviderSchema_Response{}
	if err := s.p.call("GetProviderSchema", &pb.GetProviderSchema_Request{}, resp); err != nil {
		c.fatal(tag+": GetProviderSchema", err)
	}
	var errs [3]error
	s.provT, errs[0] = impliedType(resp.GetProvider().GetBlock())
	s.resT, errs[1] = impliedType(resp.GetResourceSchemas()["slow_thing"].GetBlock())
	s.dataT, errs[2] = impliedType(resp.GetDataSourceSchemas()["slow_thing"].GetBlock())
	for _, e := range errs {
		if e != nil {
			c.fatal(tag+": schema", e)
		}
	}

	calls := slowCalls(s, "slow")
	done := make(chan int, len(calls))
	callErrs := make([]error, len(calls))
	for i := range calls {
		go func(i int) {
			callErrs[i] = s.p.call(calls[i].name, calls[i].in, calls[i].out)
			done <- i
		}(i)
	}
	// Wait until every call is waiting inside the provider.
	var n int64
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n, err = waitingCalls(s); err != nil || n == int64(len(calls)) {
			break
		}
	}
	if !c.check(tag+": every call is waiting in the provider", err == nil && n == int64(len(calls)),
		"%d of %d waiting (%v)", n, len(calls), err) {
		in.kill()
		c.finish()
	}
	sr := &pb.StopProvider_Response{}
	err = s.p.call("StopProvider", &pb.StopProvider_Request{}, sr)
	c.check(tag+": StopProvider answers", err == nil && sr.Error == "", "%v %q", err, sr.Error)
	n, err = waitingCalls(s)
	c.check(tag+": no call is still waiting once StopProvider has answered", err == nil && n == 0, "%d (%v)", n, err)
	returned := map[int]bool{}
	timeout := time.After(60 * time.Second)
	for len(returned) < len(calls) {
		select {
		case i := <-done:
			returned[i] = true
		case <-timeout:
			for i, call := range calls {
				if !returned[i] {
					c.check(tag+": "+call.name+" returns after StopProvider", false, "still waiting after 60 s")
				}
			}
			in.kill()
			c.finish()
		}
	}
	for i, call := range calls {
		err := callErrs[i]
		if err == nil {
			err = call.check(call.out, true)
		}
		c.check(tag+": "+call.name+" in flight is stopped", err == nil, "%v", err)
	}

	// The same calls, not waiting, after the stop: they run normally.
	for _, call := range slowCalls(s, "fast") {
		err := s.p.call(call.name, call.in, call.out)
		if err == nil {
			err = call.check(call.out, false)
		}
		c.check(tag+": "+call.name+" after StopProvider runs normally", err == nil, "%v", err)
	}
	rc := in.kill()
	c.check(tag+": graceful shutdown exits 0", rc == 0, "exit status %d", rc)
}
